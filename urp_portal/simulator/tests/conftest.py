import pytest

from urp_portal.celery import app as celery_app


@pytest.fixture
def eager_celery():
    """Tasks run in the test's own process, at once (countdowns ignored)."""
    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user(
        username="operatore", password="x" * 12, is_staff=True
    )
    client.force_login(user)
    return client
