"""The product's URLs plus a bare view (benchmark only, never mounted by the product)."""

from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def bare(request):
    return HttpResponse(status=200)


urlpatterns = [
    path("", include("urp_portal.urls")),
    path("bench/bare/", bare),
]
