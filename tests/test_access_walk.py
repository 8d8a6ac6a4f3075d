"""Every console and API URL, walked as each role (issue 9, point 3).

The URLs come from the URL resolver itself: the admin's model pages of every registered model,
its custom views, the API's routes, the tickets' pages. A pattern with no expectation below fails
the walk, so a page added later is not silently left out.

- The admin's standard pages of a model (changelist, add, change, delete, history) follow the
  role's permissions declared in urp_portal/accounts/roles.py, less what a ModelAdmin forbids
  to everyone (ADMIN_NEVER); a role without the permission gets 403, the anonymous visitor the
  sign-in page (302).
- Every other pattern has its row in EXPECTED (tests/access_walk_expectations.py): the status
  for each role.
- Another service's ticket answers 404 wherever it is asked for (conversation, media, forward
  link, API): whoever may not see a ticket is not told it exists. A role without any right on
  tickets gets 404 on a ticket's page too, 403 on the API.

Requests are GETs: a page that only takes POST answers 405 to whoever may reach it. What the
POSTs do is tested by each app's own tests and the object-level tests at the end.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.contrib import admin
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver

from broadcasts.tests.factories import CampaignFactory
from tests.access_walk_expectations import (
    ARGS,
    EXPECTED,
    MISSING_ID,
    OFFICE_HOURS,
    ROLES,
    STAFF,
    STANDARD_EXCEPTIONS,
)
from tests.fixtures.conversation import receive
from tickets import services as ticket_services
from tickets.models import Forward, MunicipalService
from tickets.tests.factories import MessageFactory, TicketFactory
from urp_portal.accounts.roles import ROLE_PERMISSIONS
from urp_portal.accounts.tests.factories import UserFactory
from urp_portal.gateway.models import InboundMessage
from urp_portal.gateway.states import MessageKind

STANDARD = re.compile(
    r"^admin:(?P<app>[a-z_]+?)_(?P<model>[a-z]+)_(?P<action>changelist|add|change|delete|history)$"
)


# --- The world the walk sees --------------------------------------------------------------------


@dataclass
class World:
    users: dict[str, Any]
    own_ticket: Any  # forwarded to service A, whose staff walk
    other_ticket: Any  # forwarded to service B only
    own_media: Any
    other_media: Any
    other_forward: Forward
    flag: Any
    campaign: Any


def _media_message(ticket, name: str):
    inbound = InboundMessage.objects.create(
        provider_id=f"wamid.{name}",
        sender=ticket.subscriber.number,
        sent_at=OFFICE_HOURS,
        kind=MessageKind.IMAGE,
        media_mime_type="image/jpeg",
    )
    inbound.media_file.save(f"{name}.jpg", ContentFile(b"\xff\xd8\xff fake"), save=True)
    return MessageFactory(ticket=ticket, kind=MessageKind.IMAGE, inbound=inbound, text="")


@pytest.fixture
def world(municipality):
    with time_machine.travel(OFFICE_HOURS, tick=False):
        users = {
            role: UserFactory(username=f"walk-{role}", roles=[role], is_staff=True)
            for role in STAFF
        }
        service_a = MunicipalService.objects.get(slug="anagrafe")
        service_b = MunicipalService.objects.get(slug="tributi")
        service_a.staff.add(users["service"])
        operator = users["operator"]
        own, other = TicketFactory(), TicketFactory()
        own_media, other_media = _media_message(own, "own"), _media_message(other, "other")
        for ticket, service in ((own, service_a), (other, service_b)):
            ticket_services.ticket_forward(
                ticket=ticket, service=service, note="Per voi", actor=operator, site_url="http://t/"
            )
        flagged = receive("+393331112299", "siete degli stronzi")
        campaign = CampaignFactory()
    return World(
        users=users,
        own_ticket=own,
        other_ticket=other,
        own_media=own_media,
        other_media=other_media,
        other_forward=Forward.objects.get(ticket=other),
        flag=flagged.moderation_flag,
        campaign=campaign,
    )


# --- The URL resolver's patterns ------------------------------------------------------------------


def _patterns(patterns=None, prefix: str = "", namespace: str = ""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
            yield prefix + str(pattern.pattern), name


def _registered() -> dict[str, Any]:
    """'app_model' -> model, for every model the admin registers."""
    return {f"{m._meta.app_label}_{m._meta.model_name}": m for m in admin.site._registry}


def _standard(name: str | None):
    match = STANDARD.match(name or "")
    if match and f"{match['app']}_{match['model']}" in _registered():
        return _registered()[f"{match['app']}_{match['model']}"], match["action"]
    return None


def _key(route: str, name: str | None) -> str:
    return name or route


def _declared(role: str, model) -> set[str]:
    if role == "anonymous":
        return set()
    perms = ROLE_PERMISSIONS[role].get((model._meta.app_label, model._meta.model_name), ())
    return set(perms)


def _standard_expectation(role: str, model, action: str, exists: bool) -> int:
    if role == "anonymous":
        return 302
    exception = STANDARD_EXCEPTIONS.get((model._meta.label_lower, action))
    if exception:
        return exception[role]
    perms = _declared(role, model)
    may = {
        "changelist": bool(perms & {"view", "change"}),
        "add": "add" in perms,
        "change": bool(perms & {"view", "change"}),
        "history": bool(perms & {"view", "change"}),
        "delete": "delete" in perms,
    }[action]
    if action == "history" and not exists:
        return 302
    if not may:
        return 403
    return 200 if exists or action in ("changelist", "add") else 302


def _object_for(model, world: World):
    if model._meta.label_lower == "tickets.ticket":
        return world.other_ticket
    return model._default_manager.order_by("pk").first()


def _walk(client, role: str, world: World) -> list[tuple[str, str, int, int]]:
    """(key, url, expected, got) for every pattern; expected -1 where none is declared."""
    results = []
    for route, name in _patterns():
        key = _key(route, name)
        standard = _standard(name)
        if standard:
            model, action = standard
            obj = _object_for(model, world) if action in ("change", "delete", "history") else None
            args = [] if action in ("changelist", "add") else [obj.pk if obj else MISSING_ID]
            expected = _standard_expectation(role, model, action, obj is not None)
            url = "/" + route.replace("<path:object_id>", str(args[0]) if args else "")
        elif _OBJECT_REDIRECT.match(route):
            # Django's short form of a change page: redirects to it (walked itself) for anyone.
            expected = 302
            url = _fill(route, [MISSING_ID])
        else:
            expected = EXPECTED[key][role] if key in EXPECTED else -1
            url = _fill(route, ARGS[key](world) if key in ARGS else [])
        got = client.get(url).status_code
        results.append((key, url, expected, got))
    return results


_OBJECT_REDIRECT = re.compile(r"^admin/[a-z_]+/[a-z]+/<path:object_id>/$")
_PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def _fill(route: str, args: list) -> str:
    values = iter(args)

    def value(_match) -> str:
        return str(next(values, MISSING_ID))

    path = _PARAM.sub(value, route).replace("^", "").replace("$", "")
    return "/" + path


@pytest.mark.parametrize("role", ROLES)
def test_every_url_answers_each_role_as_expected(client, world, role):
    if role != "anonymous":
        client.force_login(world.users[role])

    with time_machine.travel(OFFICE_HOURS, tick=False):
        results = _walk(client, role, world)

    if os.environ.get("URP_WALK_DUMP"):
        with open(os.environ["URP_WALK_DUMP"], "a") as dump:
            dump.writelines(f"{role}|{k}|{u}|{e}|{g}\n" for k, u, e, g in results)
    wrong = [r for r in results if r[2] != r[3]]
    assert not wrong, "\n".join(f"{k!r}: expected {e}, got {g} ({u})" for k, u, e, g in wrong)


def test_no_expectation_is_left_for_a_url_that_no_longer_exists():
    keys = {_key(route, name) for route, name in _patterns()}
    registered = {m._meta.label_lower for m in admin.site._registry}

    assert set(EXPECTED) - keys == set()
    assert set(ARGS) - keys == set()
    assert {label for label, _action in STANDARD_EXCEPTIONS} - registered == set()


# --- Object level: a service's staff and its token, on its own ticket and another's -------------


def test_a_services_staff_open_their_own_ticket_and_its_media_and_nothing_of_another(client, world):
    client.force_login(world.users["service"])
    own, other = world.own_ticket, world.other_ticket

    pages = {
        "own conversation": client.get(f"/admin/tickets/ticket/{own.pk}/conversation/"),
        "own media": client.get(f"/tickets/media/{world.own_media.pk}/"),
        "own via API": client.get(f"/api/v1/tickets/{own.pk}/"),
        "other conversation": client.get(f"/admin/tickets/ticket/{other.pk}/conversation/"),
        "other media": client.get(f"/tickets/media/{world.other_media.pk}/"),
        "other via API": client.get(f"/api/v1/tickets/{other.pk}/"),
        "other forward link": client.get(f"/tickets/inoltri/{world.other_forward.token}/"),
    }

    assert {name: r.status_code for name, r in pages.items()} == {
        "own conversation": 200,
        "own media": 200,
        "own via API": 200,
        "other conversation": 404,
        "other media": 404,
        "other via API": 404,
        "other forward link": 404,
    }


def test_a_services_token_reads_its_own_ticket_and_gets_404_for_another(world):
    from urp_portal.accounts.tests.factories import token_client

    api_client = token_client("service", service_slug="anagrafe")

    own = api_client.get(f"/api/v1/tickets/{world.own_ticket.pk}/")
    other = api_client.get(f"/api/v1/tickets/{world.other_ticket.pk}/")
    listed = api_client.get("/api/v1/tickets/")

    assert own.status_code == 200
    assert other.status_code == 404
    assert [t["id"] for t in listed.json()["results"]] == [world.own_ticket.pk]
