"""The access walk with two comuni (issue #24): every console and API URL that names an object,
walked as each role of Cagliari's staff (and each role's API token of Cagliari), on Assemini's
objects. Each answer must be exactly the one the same role gets for an object that does not
exist, and never the object: another comune's rows are not there for them. In the console it is
a 404 on every page that names an object, the admin's standard change, history and delete pages
included (OtherComunesRowsNotFound, where several comuni are served): only a role refused the
page whatever the object (403, as in the single-comune walk) is told so first, and a page that
takes only POST (405 to a GET) is walked with a POST too.

The URLs and their arguments come from the single-comune walk (tests/test_access_walk.py), so a
page added there is walked here too, campaigns, alerts and templates included.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from broadcasts.tests.factories import CampaignFactory, MessageTemplateFactory
from moderation.models import PolicyCategory, ScreeningFlag
from moderation.services.actions import subscriber_block
from moderation.services.evidence import case_report
from subscribers.models import PrivacyNotice
from subscribers.services import privacy_notice_in_force, subscriber_export
from subscribers.services.subscription import consent_record_create
from subscribers.states import ConsentChannel, ConsentKind
from subscribers.tests.factories import SubscriberFactory
from tests.test_access_walk import (
    ARGS,
    EXPECTED,
    MISSING_ID,
    OFFICE_HOURS,
    STAFF,
    _fill,
    _key,
    _patterns,
    _registered,
    _standard,
    _standard_expectation,
)
from tickets import services as ticket_services
from tickets.models import CannedAnswer, Forward, MunicipalService, SatisfactionSurvey
from tickets.tests.factories import MessageFactory, TicketFactory
from urp_portal.accounts.models import StaffMembership
from urp_portal.accounts.services import api_token_create
from urp_portal.accounts.tests.factories import UserFactory, client_with_key, pass_second_factor
from urp_portal.audit.services import audit_record
from urp_portal.gateway.models import InboundMessage, OutboundMessage, WebhookEvent
from urp_portal.gateway.states import MessageKind
from urp_portal.municipality.admin_scope import OtherComunesRowsNotFound
from urp_portal.municipality.models import Municipality
from urp_portal.municipality.scope import ComuneScopedManager, comune_scope

# Not about a comune's object.
NOT_OBJECTS = {
    "admin:view_on_site",
    "admin:app_list",
    "admin/(?P<url>.*)$",
    "gateway:whatsapp_webhook",
    # The provider's pages name a comune to administer, not a comune's object: they are the
    # provider's alone (403 for every comune role, tests/test_access_walk.py).
    "provider:number_bind",
    "provider:administrator_create",
    "provider:invitation",
    "provider:staff_list",
    "provider:staff_member",
}
TOKEN_ROLES = ["administrator", "operator", "communications", "service"]
# django-axes' rows name an account by its username.
ACCOUNTS_SECURITY = (AccessAttempt, AccessLog, AccessFailureLog)


def _media(ticket, comune, name: str):
    inbound = InboundMessage.objects.create(
        provider_id=f"wamid.walk.{name}",
        sender=ticket.subscriber.number,
        sent_at=OFFICE_HOURS,
        kind=MessageKind.IMAGE,
        media_mime_type="image/jpeg",
        comune=comune,
    )
    inbound.media_file.save(f"{name}.jpg", ContentFile(b"\xff\xd8\xff fake"), save=True)
    return MessageFactory(ticket=ticket, kind=MessageKind.IMAGE, inbound=inbound, text="")


@pytest.fixture
def walk(two_comuni):
    """Cagliari's staff, one per role (members of Cagliari only); Assemini's objects."""
    cagliari, assemini = two_comuni
    with time_machine.travel(OFFICE_HOURS, tick=False):
        users = {
            role: UserFactory(username=f"walk-{role}", roles=[role], is_staff=True)
            for role in STAFF
        }
        for user in users.values():
            StaffMembership.objects.create(user=user, comune=cagliari)
        with comune_scope(cagliari):
            MunicipalService.objects.get(slug="anagrafe").staff.add(users["service"])
            own_ticket = TicketFactory(
                subscriber=SubscriberFactory(comune=cagliari), comune=cagliari
            )
        assemini_moderator = UserFactory(username="mod-assemini", roles=["moderator"])
        assemini_operator = UserFactory(username="op-assemini", roles=["operator"])
        StaffMembership.objects.create(user=assemini_operator, comune=assemini)
        with comune_scope(assemini):
            subscriber = SubscriberFactory(comune=assemini)
            ticket = TicketFactory(subscriber=subscriber, comune=assemini)
            media = _media(ticket, assemini, "assemini")
            ticket_services.ticket_forward(
                ticket=ticket,
                service=MunicipalService.objects.get(slug="anagrafe"),
                note="Per voi",
                actor=assemini_operator,
                site_url="http://t/",
            )
            flagged = InboundMessage.objects.create(
                provider_id="wamid.walk.flag",
                sender=subscriber.number,
                sent_at=OFFICE_HOURS,
                text="testo segnalato",
                comune=assemini,
            )
            action = subscriber_block(
                actor=assemini_moderator,
                categories=[PolicyCategory.objects.order_by("pk").first()],
                subscriber=subscriber,
                inbound=flagged,
            )
            package = case_report(
                case=action.case,
                actor=assemini_moderator,
                categories=[PolicyCategory.objects.order_by("pk").first()],
            )
            flag = ScreeningFlag.objects.create(
                case=action.case, inbound=flagged, flagged_at=timezone.now()
            )
            CannedAnswer.objects.create(title="Risposta di Assemini", text="Buongiorno")
            consent_record_create(
                subscriber=subscriber,
                kind=ConsentKind.NOTICE_SENT,
                channel=ConsentChannel.WHATSAPP,
                at=timezone.now(),
            )
            subscriber_export(
                subscriber=subscriber, reason="Richiesta", channel=ConsentChannel.ADMIN
            )
            api_token_create(name="assemini", role="operator", comune_slug="assemini")
            audit_record(actor=None, action="viewed", target_repr="traccia di assemini")
            # Broadcasts are the comune's too (their pages answer 404 where several are served).
            campaign = CampaignFactory(template=MessageTemplateFactory(name="avviso_assemini"))
            OutboundMessage.objects.create(
                to=subscriber.number, text="Risposta", comune=assemini, purpose="reply"
            )
            # The desk's pieces per comune: a survey, a raw body routed to Assemini (its rules
            # for other channels came with load_preset --comune).
            SatisfactionSurvey.all_comuni.create(
                ticket=ticket, sent_at=timezone.now(), comune=assemini
            )
            WebhookEvent.objects.create(
                gateway="meta", body_sha256="walk-assemini", body=b"{}", comune=assemini
            )
            # Its operator's second factor and sign-in attempts (accounts/security_admin.py).
            TOTPDevice.objects.create(user=assemini_operator, name="telefono", confirmed=True)
            seen = {"username": "op-assemini", "ip_address": "10.0.0.9", "user_agent": "walk"}
            AccessAttempt.objects.create(**seen, get_data="", post_data="", failures_since_start=1)
            AccessLog.objects.create(**seen)
            AccessFailureLog.objects.create(**seen)
            objects = SimpleNamespace(
                other_ticket=ticket,
                other_media=media,
                other_forward=Forward.objects.get(ticket=ticket),
                flag=flag,
                block=action.block,
                action=action,
                package=package,
                campaign=campaign,
                account=assemini_operator,
                users=users,
            )
    missing = SimpleNamespace(
        other_ticket=SimpleNamespace(pk=MISSING_ID, subscriber_id=MISSING_ID),
        other_media=SimpleNamespace(pk=MISSING_ID),
        other_forward=SimpleNamespace(token="nessun-inoltro"),
        flag=SimpleNamespace(
            pk=MISSING_ID, case_id=MISSING_ID, case=SimpleNamespace(subscriber_id=MISSING_ID)
        ),
        block=SimpleNamespace(pk=MISSING_ID),
        action=SimpleNamespace(pk=MISSING_ID),
        package=SimpleNamespace(pk=MISSING_ID),
        campaign=SimpleNamespace(pk=MISSING_ID),
        account=SimpleNamespace(pk=MISSING_ID),
        users=users,
    )
    return SimpleNamespace(
        cagliari=cagliari,
        assemini=assemini,
        users=users,
        own_ticket=own_ticket,
        objects=objects,
        missing=missing,
    )


# Object pages the single-comune walk fills with a missing id (its rows are elsewhere).
EXTRA_ARGS = {
    "admin:moderation_block_unblock": lambda w: [w.block.pk],
    "admin:moderation_action_reverse": lambda w: [w.action.pk],
    "admin:moderation_evidence_download": lambda w: [w.package.pk],
    "admin:moderation_evidence_verify": lambda w: [w.package.pk],
    # Another comune's account on the comune's staff page and on Django's user admin.
    "staff:member": lambda w: [w.account.pk],
    "admin:auth_user_password_change": lambda w: [w.account.pk],
}


def _assemini_object(model, walk):
    if model is Municipality:
        return walk.assemini
    if model is get_user_model():
        # Assemini's operator, a member of Assemini alone.
        return walk.objects.account
    if model is TOTPDevice:
        return TOTPDevice.objects.get(user=walk.objects.account)
    if model in ACCOUNTS_SECURITY:
        return model.objects.get(username=walk.objects.account.username)
    if model in (InboundMessage, OutboundMessage, WebhookEvent):
        return model.objects.filter(comune=walk.assemini).order_by("pk").first()
    if model is PrivacyNotice:
        return privacy_notice_in_force(municipality=walk.assemini)
    with comune_scope(walk.assemini):
        return model._default_manager.order_by("pk").first()


def _comune_owned(model) -> bool:
    """A comune owns the model's rows: its default manager reads one comune's
    (ComuneScopedManager), or its admin does (the gateway's messages; the comuni's own
    configuration, one comune per session; the accounts, its staff: accounts/user_admin.py, and
    their devices and sign-in attempts: accounts/security_admin.py; its privacy notices:
    subscribers/admin.py)."""
    return model in (
        Municipality,
        PrivacyNotice,
        InboundMessage,
        OutboundMessage,
        WebhookEvent,
        get_user_model(),
        TOTPDevice,
        *ACCOUNTS_SECURITY,
    ) or isinstance(model._default_manager, ComuneScopedManager)


def _pairs(walk, *, api_only: bool = False):
    """(key, url of Assemini's object, url of a missing one, the single-comune walk's answer
    to `role` for an object there) for every URL that names an object a comune owns."""
    for route, name in _patterns():
        key = _key(route, name)
        if key in NOT_OBJECTS:
            continue
        if api_only and not route.startswith("api/"):
            continue
        standard = _standard(name)
        if standard:
            model, action = standard
            if action not in ("change", "delete", "history") or not _comune_owned(model):
                continue
            obj = _assemini_object(model, walk)
            assert obj is not None, f"the walk has no {model._meta.label} of Assemini"
            yield (
                key,
                "/" + route.replace("<path:object_id>", str(obj.pk)),
                "/" + route.replace("<path:object_id>", str(MISSING_ID)),
                lambda role, model=model, action=action: _standard_expectation(
                    role, model, action, True
                ),
            )
            continue
        args = EXTRA_ARGS.get(key) or ARGS.get(key)
        if args is None:
            continue
        yield (
            key,
            _fill(route, args(walk.objects)),
            _fill(route, args(walk.missing)),
            lambda role, key=key: EXPECTED[key][role],
        )


def _compare(client, pairs) -> list[str]:
    wrong = []
    for key, theirs, missing, _single in pairs:
        got, as_missing = client.get(theirs).status_code, client.get(missing).status_code
        if got != as_missing or got == 200:
            wrong.append(f"{key}: {got} for Assemini's ({theirs}), {as_missing} for none")
    return wrong


def _console_not_found(client, pairs, role: str) -> list[str]:
    """The console's pages: 404 for Assemini's object (and for none), unless the role is refused
    the page whatever the object (the single-comune walk's 403); a POST-only page is asked with
    a POST (nothing is done: the object is not found first)."""
    wrong = []
    for key, theirs, missing, single in pairs:
        if not key.startswith(("admin:", "staff:")):
            continue
        refused_anyway = single(role) == 403
        # A GET's 405 is compared by _compare; the POST is what reaches the object.
        ask = client.post if single(role) == 405 else client.get
        got, as_missing = ask(theirs).status_code, ask(missing).status_code
        if (got, as_missing) != (404, 404) and not (refused_anyway and got == as_missing):
            wrong.append(f"{key}: {got} for Assemini's ({theirs}), {as_missing} for none")
    return wrong


@pytest.mark.parametrize("role", STAFF)
def test_cagliaris_staff_get_for_asseminis_objects_what_they_get_for_none(client, walk, role):
    user = walk.users[role]
    client.force_login(user)
    pass_second_factor(client, user)
    pairs = list(_pairs(walk))

    with time_machine.travel(OFFICE_HOURS, tick=False):
        wrong = _compare(client, pairs) + _console_not_found(client, pairs, role)

    assert len(pairs) > 30
    assert not wrong, "\n".join(wrong)


def test_every_admin_of_a_comunes_model_answers_404_for_another_comunes_object():
    """The walk above reaches only the admins registered today: a ModelAdmin added for a
    comune-owned model must take the mixin too, or its pages would redirect instead."""
    owned = [model for model in _registered().values() if _comune_owned(model)]

    missing = [
        model._meta.label
        for model in owned
        if not isinstance(admin.site.get_model_admin(model), OtherComunesRowsNotFound)
    ]

    assert len(owned) >= 19
    assert not missing


@pytest.mark.parametrize("role", TOKEN_ROLES)
def test_cagliaris_tokens_get_404_for_asseminis_objects(walk, role):
    _token, key = api_token_create(
        name=f"walk-{role}",
        role=role,
        service_slug="anagrafe" if role == "service" else "",
        comune_slug="cagliari",
    )
    api = client_with_key(key)
    pairs = list(_pairs(walk, api_only=True))

    wrong = _compare(api, pairs)

    assert {key for key, _theirs, _missing, _single in pairs} >= {
        "api:ticket-detail",
        "api:subscriber-export",
    }
    assert not wrong, "\n".join(wrong)


def test_the_walk_would_see_cagliaris_own_objects(client, walk):
    """The control: the same pages answer Cagliari's staff for Cagliari's ticket."""
    user = walk.users["operator"]
    client.force_login(user)

    conversation = client.get(f"/admin/tickets/ticket/{walk.own_ticket.pk}/conversation/")
    detail = client.get(f"/api/v1/tickets/{walk.own_ticket.pk}/")
    theirs = client.get(f"/api/v1/tickets/{walk.objects.other_ticket.pk}/")

    assert conversation.status_code == 200
    assert detail.status_code == 200
    assert theirs.status_code == 404
