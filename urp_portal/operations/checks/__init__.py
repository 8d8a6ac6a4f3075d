"""What a deployment needs before citizens write to it, checked as a whole and said in plain
Italian for the comune's IT office: `python manage.py check_config`.

Each check returns findings; a BLOCKING one means the service would not work (messages not
received or not sent, data not stored), a WARNING one that it works but not as it should.

On a deployment serving several comuni (issue #24) the deployment's checks run once and the
comune's checks once per comune served, in its scope, each finding naming its comune (its
number and secrets, its WABA's approved utility templates, its configuration, its services);
a deployment of one comune runs exactly the checks it always ran."""

from __future__ import annotations

from collections.abc import Callable

from .comune import (
    check_municipality,
    check_services,
    check_templates,
    each_comune_findings,
)
from .deployment import (
    check_broker,
    check_database,
    check_django,
    check_email,
    check_gateway,
    check_graph_version,
    check_media,
    check_privacy,
)
from .findings import BLOCKING, OK, WARNING, Finding

__all__ = [
    "BLOCKING",
    "CHECKS",
    "OK",
    "WARNING",
    "Finding",
    "check_gateway",
    "check_graph_version",
    "configuration_findings",
]

CHECKS: list[Callable[[], list[Finding]]] = [
    check_django,
    check_gateway,
    check_database,
    check_broker,
    check_municipality,
    check_templates,
    check_services,
    check_email,
    check_privacy,
    check_media,
]

# The deployment's own checks when it serves several comuni: the rest is per comune.
DEPLOYMENT_CHECKS: list[Callable[[], list[Finding]]] = [
    check_django,
    check_gateway,
    check_database,
    check_broker,
    check_email,
    check_privacy,
    check_media,
]


def _serves_several_comuni() -> bool:
    from urp_portal.municipality.scope import forget_serves_other_comuni, serves_other_comuni

    # A fresh answer: a number bound a moment ago by load_preset must be checked too.
    forget_serves_other_comuni()
    try:
        return serves_other_comuni()
    except Exception:  # the database check reports the cause
        return False


def configuration_findings() -> list[Finding]:
    if not _serves_several_comuni():
        return [finding for check in CHECKS for finding in check()]
    return [finding for check in DEPLOYMENT_CHECKS for finding in check()] + (
        each_comune_findings()
    )
