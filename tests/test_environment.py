"""The suite runs on what DATABASE_URL and REDIS_URL name, and fails if that is not there."""

import os

import pytest
from django.conf import settings
from django.db import connection


@pytest.mark.django_db
def test_database_is_the_one_database_url_names():
    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres", "psql", "pgsql")) else "sqlite"

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (answer,) = cursor.fetchone()

    assert connection.vendor == expected
    assert answer == 1


def test_broker_is_the_one_redis_url_names():
    from urp_portal.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1)
        transport = conn.transport_cls
        driver = conn.transport.driver_type

    if os.environ.get("REDIS_URL"):
        assert os.environ["REDIS_URL"] == settings.CELERY_BROKER_URL
        assert transport == "redis"
        import redis

        assert redis.Redis.from_url(os.environ["REDIS_URL"]).ping() is True
    else:
        assert driver == "filesystem"
        assert transport == "urp_portal.embedded_broker:Transport"
