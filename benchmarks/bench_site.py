"""Benchmark-only settings: the product's, with an URL module that adds a bare "return 200"
view to compare the webhook with. Used only by benchmarks/webhook_throughput.py."""

from urp_portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
