"""The simulator is mounted only with DEBUG on, and refused by a system check otherwise."""

import importlib
import os
import subprocess
import sys

import pytest
from django.urls import Resolver404, clear_url_caches, resolve

from urp_portal.simulator.checks import check_simulator_off_in_production, simulator_enabled


@pytest.fixture
def product_urls():
    """urp_portal.urls evaluated again under the test's settings, restored afterwards."""
    import urp_portal.urls

    def load():
        clear_url_caches()
        return importlib.reload(urp_portal.urls)

    yield load
    importlib.reload(urp_portal.urls)
    clear_url_caches()


@pytest.mark.parametrize(
    ("debug", "flag", "mounted"),
    [(False, True, False), (False, False, False), (True, False, False), (True, True, True)],
)
def test_the_simulator_is_mounted_only_when_enabled_with_debug_on(
    settings, product_urls, debug, flag, mounted
):
    settings.DEBUG = debug
    settings.SIMULATOR_ENABLED = flag

    urls = product_urls()

    assert simulator_enabled() is mounted
    try:
        resolve("/simulator/", urlconf=urls)
        found = True
    except Resolver404:
        found = False
    assert found is mounted


def test_the_system_check_refuses_the_simulator_with_debug_off(settings):
    settings.DEBUG = False
    settings.SIMULATOR_ENABLED = True

    errors = check_simulator_off_in_production()

    assert [e.id for e in errors] == ["simulator.E001"]


def test_the_system_check_accepts_the_simulator_in_development(settings):
    settings.DEBUG = True
    settings.SIMULATOR_ENABLED = True

    assert check_simulator_off_in_production() == []


def settings_value(name, **environment):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIMULATOR_", "DEBUG"))}
    env.update(environment, DJANGO_SETTINGS_MODULE="urp_portal.settings", SECRET_KEY="x" * 50)
    code = f"from django.conf import settings; print(settings.{name})"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"DEBUG": "true", "WHATSAPP_GATEWAY": "simulator"}, "True"),
        ({"DEBUG": "true", "WHATSAPP_GATEWAY": "meta"}, "False"),
        ({"DEBUG": "true", "WHATSAPP_GATEWAY": "meta", "SIMULATOR_ENABLED": "true"}, "True"),
        ({"DEBUG": "false", "WHATSAPP_GATEWAY": "simulator"}, "False"),
        ({"DEBUG": "false", "SIMULATOR_ENABLED": "true"}, "False"),
    ],
    ids=["dev-default", "dev-real-gateway", "dev-asked", "prod-default", "prod-asked"],
)
def test_the_setting_is_off_whenever_debug_is_off(environment, expected):
    assert settings_value("SIMULATOR_ENABLED", **environment) == expected
