"""Gateway adapters, chosen by configuration only.

`settings.WHATSAPP_GATEWAY = "name"` loads the module `urp_portal.gateway.adapters.name` and uses
its `Adapter` class: a fourth gateway (360dialog, a national PA messaging hub) is one new module
defining `Adapter` (see base.GatewayAdapter), and nothing else.
"""

from __future__ import annotations

import pkgutil
import re
from functools import cache
from importlib import import_module

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .base import GatewayAdapter

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@cache
def _adapter(name: str) -> GatewayAdapter:
    if not _NAME.match(name) or name == "base":
        raise ImproperlyConfigured(f"WHATSAPP_GATEWAY={name!r} is not an adapter name.")
    try:
        module = import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        raise ImproperlyConfigured(f"No WhatsApp adapter module named {name!r}.") from exc
    adapter = module.Adapter()
    if not isinstance(adapter, GatewayAdapter):
        raise ImproperlyConfigured(f"{module.__name__}.Adapter does not implement GatewayAdapter.")
    return adapter


def get_adapter(name: str | None = None) -> GatewayAdapter:
    """The adapter called `name`, or the configured one. One instance per process, so its HTTP
    connection pool is shared by every send in that process."""
    return _adapter(name or settings.WHATSAPP_GATEWAY)


def clear_adapter_cache() -> None:
    """Forget the instances (tests that change the settings call this)."""
    _adapter.cache_clear()


def adapter_names() -> list[str]:
    """Every adapter module's name, those for real use first (then those for tests and training),
    each group in alphabetical order."""
    names = [
        module.name
        for module in pkgutil.iter_modules(__path__)
        if _NAME.match(module.name)
        and module.name != "base"
        # A module the adapters share (media_download) defines no Adapter.
        and hasattr(import_module(f"{__name__}.{module.name}"), "Adapter")
    ]
    return sorted(names, key=lambda name: (_adapter(name).for_testing_only, name))
