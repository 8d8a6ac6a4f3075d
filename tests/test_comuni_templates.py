"""Templates per comune (issue #24, phase 2): each comune's templates live in its number's
WhatsApp Business Account, submitted and listed there with its token; the same name may exist
in two comuni; a template webhook (entry.id: the WABA) updates only that WABA's template. The
fixture and helpers are tests/test_comuni_broadcasts.py's."""

from __future__ import annotations

import pytest

from broadcasts import services
from broadcasts.models import MessageTemplate
from broadcasts.states import TemplateApproval, TemplateCategory
from broadcasts.tasks import message_templates_sync_task
from tests import test_comuni_broadcasts as _broadcasts
from tests.fixtures.fake_graph import template_webhook_body
from tests.fixtures.webhooks import post_signed_webhook
from tests.test_comuni_broadcasts import (
    ASSEMINI_NUMBER,
    ASSEMINI_TOKEN,
    ASSEMINI_WABA,
    CAGLIARI_NUMBER,
    CAGLIARI_TOKEN,
    CAGLIARI_WABA,
)
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory
from urp_portal.municipality.models import Municipality
from urp_portal.municipality.scope import comune_scope

# The two comuni of the broadcasts' tests (until tests/fixtures/comuni.py is shared).
two_comuni = _broadcasts.two_comuni


def draft(comune: Municipality, name: str = "raccolta_rifiuti") -> MessageTemplate:
    with comune_scope(comune):
        return MessageTemplate.objects.create(
            name=name,
            language="it",
            body="Gentile cittadino, {{1}}.",
            examples=["la raccolta è sospesa"],
            category=TemplateCategory.UTILITY,
            approval_status=TemplateApproval.DRAFT,
        )


def submit(template: MessageTemplate, comune: Municipality, actor) -> MessageTemplate:
    with comune_scope(comune):
        return services.message_template_submit(template_id=template.pk, actor=actor)


def test_templates_of_the_same_name_go_to_each_comunes_waba_with_its_token(two_comuni, fake_graph):
    cagliari, assemini = two_comuni
    admin = UserFactory(roles=[Role.ADMINISTRATOR])
    in_cagliari = submit(draft(cagliari), cagliari, admin)
    in_assemini = submit(draft(assemini), assemini, admin)

    posted = {
        r.path.split("?")[0].split("/")[-2]: r.headers.get("Authorization")
        for r in fake_graph.template_submissions()
    }
    assert posted == {
        CAGLIARI_WABA: f"Bearer {CAGLIARI_TOKEN}",
        ASSEMINI_WABA: f"Bearer {ASSEMINI_TOKEN}",
    }
    assert in_cagliari.comune == cagliari and in_assemini.comune == assemini
    assert {t["waba"] for t in fake_graph.templates} == {CAGLIARI_WABA, ASSEMINI_WABA}
    assert in_cagliari.provider_id != in_assemini.provider_id
    assert (in_cagliari.approval_status, in_assemini.approval_status) == ("pending", "pending")


def test_a_template_webhook_of_one_waba_leaves_the_other_comunes_same_template_alone(
    two_comuni, fake_graph, client, settings, eager_tasks, django_capture_on_commit_callbacks
):
    cagliari, assemini = two_comuni
    settings.WHATSAPP_APP_SECRET = "test-app-secret"
    admin = UserFactory(roles=[Role.ADMINISTRATOR])
    in_cagliari = submit(draft(cagliari), cagliari, admin)
    in_assemini = submit(draft(assemini), assemini, admin)

    # Named only by name and language (no id): the WABA alone says whose it is.
    verdict = {
        "event": "APPROVED",
        "message_template_name": "raccolta_rifiuti",
        "message_template_language": "it",
        "reason": "NONE",
    }
    with django_capture_on_commit_callbacks(execute=True):
        answer = post_signed_webhook(
            client,
            template_webhook_body(
                "message_template_status_update", verdict, business_account_id=ASSEMINI_WABA
            ),
        )
    with django_capture_on_commit_callbacks(execute=True):
        post_signed_webhook(
            client,
            template_webhook_body(
                "message_template_quality_update",
                {
                    "message_template_name": "raccolta_rifiuti",
                    "message_template_language": "it",
                    "new_quality_score": "RED",
                },
                business_account_id=CAGLIARI_WABA,
            ),
        )

    assert answer.status_code == 200
    in_cagliari.refresh_from_db()
    in_assemini.refresh_from_db()
    assert in_assemini.approval_status == TemplateApproval.APPROVED
    assert in_cagliari.approval_status == TemplateApproval.PENDING
    assert (in_cagliari.quality, in_assemini.quality) == ("RED", "")


def test_the_hourly_sync_reads_each_comunes_waba_into_its_own_templates(
    two_comuni, fake_graph, eager_tasks
):
    cagliari, assemini = two_comuni
    admin = UserFactory(roles=[Role.ADMINISTRATOR])
    in_cagliari = submit(draft(cagliari), cagliari, admin)
    in_assemini = submit(draft(assemini), assemini, admin)
    # Meta approved Assemini's only.
    next(t for t in fake_graph.templates if t["waba"] == ASSEMINI_WABA)["status"] = "APPROVED"
    fake_graph.messaging_limits_of = {CAGLIARI_NUMBER: "TIER_250", ASSEMINI_NUMBER: "TIER_2K"}

    message_templates_sync_task()

    in_cagliari.refresh_from_db()
    in_assemini.refresh_from_db()
    assert (in_cagliari.approval_status, in_assemini.approval_status) == ("pending", "approved")
    listed = {
        r.path.split("?")[0].split("/")[-2]: r.headers.get("Authorization")
        for r in fake_graph.requests
        if r.method == "GET" and "/message_templates" in r.path
    }
    assert listed == {
        CAGLIARI_WABA: f"Bearer {CAGLIARI_TOKEN}",
        ASSEMINI_WABA: f"Bearer {ASSEMINI_TOKEN}",
    }
    # Each portfolio's limit, read for its own number.
    limits = dict(Municipality.objects.values_list("slug", "messaging_limit"))
    assert (limits["cagliari"], limits["assemini"]) == (250, 2000)


def test_a_template_created_through_the_api_is_its_comunes_and_goes_to_its_waba(
    two_comuni, fake_graph, eager_tasks, django_capture_on_commit_callbacks
):
    from urp_portal.accounts.tests.factories import client_with_key, make_api_token

    cagliari, assemini = two_comuni
    existing = draft(cagliari, name="avviso_rifiuti")
    with comune_scope(assemini):
        _token, key = make_api_token(Role.COMMUNICATIONS)
    api = client_with_key(key)

    # Until the per-request scope binds the token's comune, the test binds it; the submission
    # runs after commit, outside it, in the template's own comune's scope.
    with comune_scope(assemini), django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api.post(
            "/api/v1/templates/",
            {
                "name": "avviso_rifiuti",
                "language": "it",
                "category": "utility",
                "body": "Oggi {{1}}.",
                "examples": ["la raccolta è sospesa"],
            },
            format="json",
        )
    for callback in callbacks:
        callback()

    # The same name as Cagliari's: another comune's, another WABA's.
    assert response.status_code == 201
    created = MessageTemplate.all_comuni.get(pk=response.json()["id"])
    assert created.comune == assemini and created.pk != existing.pk
    [submitted] = fake_graph.template_submissions()
    assert submitted.path.split("?")[0].split("/")[-2] == ASSEMINI_WABA
    assert submitted.headers.get("Authorization") == f"Bearer {ASSEMINI_TOKEN}"
    assert created.provider_id == fake_graph.templates[0]["id"]


def test_a_comune_without_a_number_never_submits_to_the_deployments_waba(two_comuni, fake_graph):
    from urp_portal.gateway.numbers import forget_sending_numbers
    from urp_portal.municipality.errors import UserError
    from urp_portal.municipality.models import WhatsAppNumber

    _cagliari, assemini = two_comuni
    template = draft(assemini)
    WhatsAppNumber.objects.filter(comune=assemini).delete()
    forget_sending_numbers()
    admin = UserFactory(roles=[Role.ADMINISTRATOR])

    with pytest.raises(UserError) as refused:
        submit(template, assemini, admin)

    assert refused.value.code == "template_submit_refused"
    assert fake_graph.template_submissions() == []
    template.refresh_from_db()
    assert template.approval_status == TemplateApproval.DRAFT
