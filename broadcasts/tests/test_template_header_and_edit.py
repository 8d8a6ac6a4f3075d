"""A template with a header image and a template edited after Meta's review, through the admin
against the fake Graph API: the image goes up with the Resumable Upload API and its handle is the
header's example; an approved template is edited with Meta's edit call, within Meta's limits, and
waits for the new verdict."""

import datetime as dt
import itertools

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from broadcasts import services
from broadcasts.models import MessageTemplate
from broadcasts.services.template_review import message_template_submit
from broadcasts.states import CampaignState, TemplateApproval, TemplateCategory
from tests.fixtures.fake_graph import ACCESS_TOKEN, APP_ID, template_webhook_body
from tests.fixtures.webhooks import post_signed_webhook as _post_signed
from urp_portal.municipality.errors import UserError

from .factories import CampaignFactory, MessageTemplateFactory, subscribers_bulk

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


@pytest.fixture(autouse=True)
def signed_and_stored(settings, tmp_path):
    settings.WHATSAPP_APP_SECRET = "test-app-secret"
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def post_signed_webhook(django_capture_on_commit_callbacks):
    def post(client, body):
        with django_capture_on_commit_callbacks(execute=True):
            return _post_signed(client, body)

    return post


def _form(template=None, **changes):
    """The template's admin form as the staff would post it."""
    values = {
        "name": "mercato_settimanale",
        "language": "it",
        "category": TemplateCategory.UTILITY,
        "body": "Il mercato di {{1}} si sposta in {{2}}.",
        "examples": "sabato\r\npiazza Garibaldi",
        "footer": "Comune di Cagliari",
        "quick_replies": "",
        "provider_id": "",
    }
    if template is not None:
        values.update(
            name=template.name,
            category=template.category,
            body=template.body,
            examples="\r\n".join(template.examples),
            footer=template.footer,
            provider_id=template.provider_id,
        )
    values.update(changes)
    return values


_verdicts = itertools.count(1_700_000_000)


def _status_update(template, event, reason="NONE"):
    return template_webhook_body(
        "message_template_status_update",
        {
            "event": event,
            "message_template_id": int(template.provider_id),
            "message_template_name": template.name,
            "message_template_language": template.language,
            "reason": reason,
        },
        at=next(_verdicts),
    )


def _meta_says(fake_graph, post_signed_webhook, client, template, event, reason="NONE"):
    """Meta's verdict, on its side (what the fake Graph API holds) and by its signed webhook."""
    fake_graph.templates[0]["status"] = event
    post_signed_webhook(client, _status_update(template, event, reason))
    template.refresh_from_db()


def _submit_selected(client, template):
    return client.post(
        reverse("admin:broadcasts_messagetemplate_changelist"),
        {"action": "submit_for_review", "_selected_action": [template.pk]},
        follow=True,
    )


def test_an_image_header_written_in_the_admin_is_uploaded_and_submitted_by_its_handle(
    client,
    fake_graph,
    municipality,
    communications,
    post_signed_webhook,
    django_capture_on_commit_callbacks,
):
    client.force_login(communications)
    form = _form(header_image=SimpleUploadedFile("mercato.png", PNG, content_type="image/png"))

    added = client.post(reverse("admin:broadcasts_messagetemplate_add"), form)
    template = MessageTemplate.objects.get()
    submitted = _submit_selected(client, template)

    assert added.status_code == 302
    assert "inviati in revisione" in submitted.content.decode()
    session, upload = [r for r in fake_graph.requests if "upload" in r.path]
    assert session.path.split("?")[0] == f"/v25.0/{APP_ID}/uploads"
    assert "file_length=208" in session.path and "file_type=image%2Fpng" in session.path
    assert ACCESS_TOKEN not in session.path
    assert upload.headers["Authorization"] == f"OAuth {ACCESS_TOKEN}"
    assert upload.headers["file_offset"] == "0"
    [(handle, (content, mime))] = fake_graph.uploads.items()
    assert (content, mime) == (PNG, "image/png")
    [request] = fake_graph.template_submissions()
    header, body, footer = request.json["components"]
    assert header == {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": [handle]}}
    assert body["example"] == {"body_text": [["sabato", "piazza Garibaldi"]]}
    assert footer == {"type": "FOOTER", "text": "Comune di Cagliari"}

    # Approved, the template's sends carry the image in their header.
    template.refresh_from_db()
    post_signed_webhook(client, _status_update(template, "APPROVED"))
    subscribers_bulk(2)
    campaign = CampaignFactory(
        template=template, parameters=["sabato", "piazza Yenne"], state=CampaignState.APPROVED
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_start(campaign_id=campaign.pk, actor=communications)
    sends = fake_graph.message_requests()
    assert len(sends) == 2
    for send in sends:
        header_parameter = send.json["template"]["components"][0]
        assert header_parameter["type"] == "header"
        assert header_parameter["parameters"][0]["image"]["id"].startswith("fake-media-")


def test_an_image_header_without_the_app_id_is_refused_in_italian_and_nothing_is_sent(
    fake_graph, settings, administrator
):
    settings.WHATSAPP_APP_ID = ""
    template = MessageTemplateFactory(
        approval_status=TemplateApproval.DRAFT,
        body="Avviso: {{1}}.",
        examples=["strada chiusa"],
        header_image=SimpleUploadedFile("avviso.png", PNG, content_type="image/png"),
    )

    with pytest.raises(UserError) as error:
        message_template_submit(template_id=template.pk, actor=administrator)

    assert "WHATSAPP_APP_ID" in error.value.message
    assert fake_graph.requests == []
    template.refresh_from_db()
    assert template.approval_status == TemplateApproval.DRAFT


@pytest.fixture
def approved_at_meta(client, fake_graph, administrator, post_signed_webhook):
    """A template submitted from the product and approved by Meta's signed webhook."""
    template = MessageTemplateFactory(
        name="orari_ufficio",
        approval_status=TemplateApproval.DRAFT,
        body="L'ufficio {{1}} è aperto {{2}}.",
        examples=["anagrafe", "dalle 9 alle 12"],
        footer="Comune di Cagliari",
    )
    message_template_submit(template_id=template.pk, actor=administrator)
    template.refresh_from_db()
    _meta_says(fake_graph, post_signed_webhook, client, template, "APPROVED")
    assert (template.approval_status, template.provider_status) == ("approved", "APPROVED")
    return template


@pytest.fixture
def edit(client, communications):
    """The staff change the template in the admin and save."""

    def edit(template, **changes):
        # Signed in afresh: the tests travel days ahead, past the session's idle timeout.
        client.force_login(communications)
        return client.post(
            reverse("admin:broadcasts_messagetemplate_change", args=[template.pk]),
            _form(template, **changes),
            follow=True,
        )

    return edit


def test_an_approved_template_edited_in_the_admin_is_edited_at_meta_and_waits_for_the_verdict(
    client, fake_graph, municipality, approved_at_meta, communications, post_signed_webhook, edit
):
    template = approved_at_meta
    new_body = "L'ufficio {{1}} è aperto {{2}}, anche il sabato."

    page = edit(template, body=new_body)

    [request] = fake_graph.template_edits()
    assert request.path == f"/v25.0/{template.provider_id}"
    assert "category" not in request.json  # an approved template keeps its category
    assert request.json["components"][0]["text"] == new_body
    assert len(fake_graph.template_submissions()) == 1  # the same template, not a new one
    assert "Modifica inviata in revisione" in page.content.decode()
    template.refresh_from_db()
    assert template.approval_status == TemplateApproval.PENDING
    assert template.submitted_content["body"] == new_body
    assert template.submitted_content["edit"] is True
    with pytest.raises(UserError) as refused:
        services.campaign_start(
            campaign_id=CampaignFactory(template=template, state=CampaignState.APPROVED).pk,
            actor=communications,
        )
    assert refused.value.code == "template_not_approved"

    _meta_says(fake_graph, post_signed_webhook, client, template, "APPROVED")

    assert template.approval_status == TemplateApproval.APPROVED
    assert template.body == new_body


def test_an_approved_template_is_edited_at_most_once_a_day_and_ten_times_a_month(
    client, fake_graph, approved_at_meta, communications, post_signed_webhook, edit
):
    template = approved_at_meta
    start = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)  # 10:30 in Rome

    with time_machine.travel(start, tick=False):
        edit(template, footer="Comune di Cagliari - URP")
        template.refresh_from_db()
        _meta_says(fake_graph, post_signed_webhook, client, template, "APPROVED")
    with time_machine.travel(start + dt.timedelta(hours=23), tick=False):
        refused = edit(template, footer="URP")

    assert len(fake_graph.template_edits()) == 1
    assert "una volta ogni 24 ore" in refused.content.decode()
    assert "25/11/2026 10:30" in refused.content.decode()  # Europe/Rome
    template.refresh_from_db()
    assert template.footer == "Comune di Cagliari - URP"  # nothing saved

    with time_machine.travel(start + dt.timedelta(hours=25), tick=False):
        edit(template, footer="URP")
    assert len(fake_graph.template_edits()) == 2

    # Ten edits in the last 30 days: the eleventh waits for the oldest to leave the window.
    template.refresh_from_db()
    _meta_says(fake_graph, post_signed_webhook, client, template, "APPROVED")
    MessageTemplate.objects.filter(pk=template.pk).update(
        approved_edits=[(start - dt.timedelta(days=d)).isoformat() for d in range(2, 12)]
    )
    with time_machine.travel(start + dt.timedelta(days=2), tick=False):
        refused = edit(template, footer="URP Cagliari")
    assert "10 volte in 30 giorni" in refused.content.decode()
    assert len(fake_graph.template_edits()) == 2


def test_the_category_of_an_approved_template_cannot_change_but_a_rejected_ones_can(
    client, fake_graph, approved_at_meta, communications, post_signed_webhook, edit
):
    template = approved_at_meta

    refused = edit(template, category=TemplateCategory.MARKETING)

    assert "non si cambia" in refused.content.decode()
    assert fake_graph.template_edits() == []

    _meta_says(fake_graph, post_signed_webhook, client, template, "REJECTED", "INCORRECT_CATEGORY")
    for footer in ("URP 1", "URP 2"):  # a rejected template has no edit limit
        edit(template, category=TemplateCategory.MARKETING, footer=footer)
        template.refresh_from_db()
        _meta_says(
            fake_graph, post_signed_webhook, client, template, "REJECTED", "INCORRECT_CATEGORY"
        )

    first, second = fake_graph.template_edits()
    assert first.json["category"] == "MARKETING"
    assert second.json["components"][-1] == {"type": "FOOTER", "text": "URP 2"}


def test_a_rejection_by_signed_webhook_shows_metas_reason_on_the_templates_page(
    client, fake_graph, administrator, post_signed_webhook
):
    template = MessageTemplateFactory(
        name="promo_sagra", approval_status=TemplateApproval.DRAFT, body="Sagra.", examples=[]
    )
    message_template_submit(template_id=template.pk, actor=administrator)
    template.refresh_from_db()

    _meta_says(fake_graph, post_signed_webhook, client, template, "REJECTED", "INVALID_FORMAT")
    client.force_login(administrator)
    page = client.get(reverse("admin:broadcasts_messagetemplate_change", args=[template.pk]))

    assert template.approval_status == TemplateApproval.REJECTED
    content = page.content.decode()
    assert "INVALID_FORMAT" in content
    assert "rifiutato" in content


def test_a_template_still_in_metas_review_is_not_changed_until_the_verdict(
    client, fake_graph, administrator, edit
):
    template = MessageTemplateFactory(
        approval_status=TemplateApproval.DRAFT, body="Avviso: {{1}}.", examples=["strada chiusa"]
    )
    message_template_submit(template_id=template.pk, actor=administrator)
    template.refresh_from_db()

    refused = edit(template, body="Avviso importante: {{1}}.")

    assert "ancora esaminando" in refused.content.decode()
    template.refresh_from_db()
    assert (template.body, template.approval_status) == ("Avviso: {{1}}.", "pending")
    assert fake_graph.template_edits() == []
    assert len(fake_graph.template_submissions()) == 1
