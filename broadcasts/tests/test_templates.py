"""Templates render exactly as the citizen reads them, and refuse what WhatsApp would refuse."""

import pytest

from broadcasts import services
from broadcasts.models import MessageTemplate
from broadcasts.preview import whatsapp_to_html
from broadcasts.services import templates as template_services
from broadcasts.states import TemplateApproval
from urp_portal.municipality.errors import UserError

from .factories import MessageTemplateFactory

BODY = "Gentile cittadino, {{1}} il {{2}}. Info: {{1}}"


def test_render_fills_every_numbered_parameter():
    text = services.template_render(body=BODY, parameters=["il mercato è spostato", "sabato"])

    assert text == (
        "Gentile cittadino, il mercato è spostato il sabato. Info: il mercato è spostato"
    )


@pytest.mark.parametrize("parameters", [["il mercato"], ["il mercato", "  "], []])
def test_render_refuses_a_missing_or_empty_parameter(parameters):
    with pytest.raises(UserError) as refused:
        services.template_render(body=BODY, parameters=parameters)

    assert refused.value.code == "template_parameter_missing"
    assert "{{2}}" in str(refused.value.message)


def test_render_refuses_more_values_than_parameters():
    with pytest.raises(UserError, match="2 parametri"):
        services.template_render(body=BODY, parameters=["a", "b", "c"])


def test_render_refuses_a_parameter_with_a_newline():
    with pytest.raises(UserError, match="a capo"):
        services.template_render(body=BODY, parameters=["a\nb", "c"])


def test_a_body_whose_parameters_skip_a_number_is_refused():
    with pytest.raises(UserError, match=r"\{\{1\}\}"):
        template_services.template_body_validate("Ciao {{1}} e {{3}}")


def test_the_preview_shows_whatsapp_formatting_and_escapes_html():
    html = whatsapp_to_html("*Allerta meteo* _domani_ <b>x</b>\nfine")

    assert html == "<strong>Allerta meteo</strong> <em>domani</em> &lt;b&gt;x&lt;/b&gt;<br>fine"


@pytest.mark.django_db
def test_only_an_administrator_creates_a_template_already_approved(administrator, communications):
    with pytest.raises(UserError):
        services.message_template_create(
            name="avviso", body="Ciao {{1}}", approval_status="approved", actor=communications
        )

    template = services.message_template_create(
        name="avviso", body="Ciao {{1}}", approval_status="approved", actor=administrator
    )

    assert template.is_approved
    assert template.status_changed_by == administrator


@pytest.mark.django_db
def test_communications_submit_a_template_and_only_an_administrator_approves_it(
    communications, administrator
):
    template = MessageTemplateFactory(approval_status=TemplateApproval.DRAFT)
    services.message_template_set_status(
        template_id=template.pk, status=TemplateApproval.PENDING, actor=communications
    )

    with pytest.raises(UserError):
        services.message_template_set_status(
            template_id=template.pk, status=TemplateApproval.APPROVED, actor=communications
        )
    services.message_template_set_status(
        template_id=template.pk, status=TemplateApproval.APPROVED, actor=administrator
    )

    template.refresh_from_db()
    assert template.approval_status == TemplateApproval.APPROVED


class SilentAdapter:
    """A gateway adapter that says nothing of templates (neither a list nor per-item status)."""


@pytest.mark.django_db
def test_sync_statuses_does_nothing_when_the_adapter_cannot_tell_the_statuses(monkeypatch):
    # Meta lists the WABA's templates, Twilio answers per Content SID; an adapter with neither
    # leaves the templates as they are.
    monkeypatch.setattr(template_services, "get_adapter", SilentAdapter)
    template = MessageTemplateFactory(approval_status=TemplateApproval.PENDING)

    assert services.template_sync_statuses() is None
    template.refresh_from_db()
    assert template.approval_status == TemplateApproval.PENDING


class ListingAdapter:
    """A gateway adapter that can tell the templates' statuses (Meta's shape)."""

    def list_templates(self):
        return [
            {"name": "allerta", "language": "it", "status": "APPROVED", "id": "meta-1"},
            {
                "name": "rifiuti",
                "language": "it",
                "status": "REJECTED",
                "id": "meta-2",
                "rejected_reason": "INVALID_FORMAT",
            },
            {"name": "sconosciuto", "language": "it", "status": "APPROVED", "id": "meta-3"},
        ]


@pytest.mark.django_db
def test_sync_statuses_takes_the_providers_statuses(monkeypatch):
    MessageTemplateFactory(name="allerta", approval_status=TemplateApproval.PENDING)
    MessageTemplateFactory(name="rifiuti", approval_status=TemplateApproval.PENDING)
    monkeypatch.setattr(template_services, "get_adapter", ListingAdapter)

    changed = services.template_sync_statuses()

    assert changed == 2
    allerta = MessageTemplate.objects.get(name="allerta")
    rifiuti = MessageTemplate.objects.get(name="rifiuti")
    assert (allerta.approval_status, allerta.provider_id) == ("approved", "meta-1")
    assert (rifiuti.approval_status, rifiuti.rejection_reason) == ("rejected", "INVALID_FORMAT")
    assert allerta.synced_at is not None
