"""gunicorn's settings for `gunicorn urp_portal.wsgi` (read from the working directory, so the
Dockerfile, docker-compose.yml and benchmarks/webhook_throughput.py all run this one shape).

Threads, not only processes: a request spends most of its time waiting, not computing. A webhook
waits for PostgreSQL to flush its commit to disk (a few ms, far more on a slow disk) and for
Redis; with sync workers each of those waits holds a whole process, so three processes took at
most three webhooks at a time. With threads the waits overlap, and PostgreSQL flushes the
commits that wait together in one fsync. Each thread keeps its own database connection
(CONN_MAX_AGE): WEB_CONCURRENCY x WEB_THREADS connections per web container.
"""

import os

# Processes: about one per CPU of the container, plus one.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "8"))
# Keep-alive behind a proxy (and Meta's webhook deliveries) saves a TCP handshake per request.
keepalive = 5

# The access log without query strings and without the referrer: both can carry a citizen's
# number or words (the API's `?number=+39...` lookup, the console's search `?q=...`), which
# would outlive an erasure in the logs. The path, method, status, size, time and agent remain.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'
