"""The product's URLs with the simulator mounted, as with DEBUG on (tests run with it off)."""

from django.urls import include, path

from urp_portal.urls import urlpatterns as product_urlpatterns

urlpatterns = [
    *product_urlpatterns,
    path("simulator/", include("urp_portal.simulator.urls")),
]
