"""Benchmark-only settings and URLs: the product's, plus a bare "return 200" view to compare the
webhook with. Used only by benchmarks/webhook_throughput.py, never by the product."""

from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from urp_portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench_site"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}


@csrf_exempt
def bare(request):
    return HttpResponse(status=200)


urlpatterns = [
    path("", include("urp_portal.urls")),
    path("bench/bare/", bare),
]
