"""Benchmark-only settings for benchmarks/console_live.py: the product's production settings,
with cookies allowed over the loopback's plain HTTP (the console clients are not behind TLS)."""

from urp_portal.settings import *  # noqa: F403

SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
