"""A campaign's life: compose, schedule, start, pause, resume, cancel (approval and emergency
alerts in approval.py).

Every change of state goes through `campaign_transition`, on a row locked by the caller.
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from urp_portal.accounts.principals import actor_account, actor_label
from urp_portal.municipality.errors import UserError
from urp_portal.municipality.selectors import municipality_get_active

from ..models import Campaign, CampaignEvent, MessageTemplate
from ..states import (
    CAMPAIGN_LOCKED_STATES,
    Audience,
    CampaignState,
    TemplateCategory,
)
from ..timing import describe_quiet_hours, in_quiet_hours, quiet_hours_end, slot_occurrences
from . import fanout
from .authors import token_of
from .fanout import campaign_plan_deliveries, deliveries_cancel_pending
from .templates import template_render
from .transitions import campaign_transition as _transition

# How far ahead "the next free slot" is looked for.
_SLOT_SEARCH = dt.timedelta(days=60)
# A chosen time this far in the past still counts as "now" (a form filled a minute ago).
_CLOCK_SKEW = dt.timedelta(minutes=1)


def _locked(campaign_id: int) -> Campaign:
    return (
        Campaign.objects.select_for_update(of=("self",))
        .select_related("template")
        .get(pk=campaign_id)
    )


def _require(actor: Any, permission: str, message: str) -> None:
    if actor is None or not actor.has_perm(permission):
        raise UserError(message, code="permission_denied")


def campaign_preview(
    *, template: MessageTemplate | None, parameters: Sequence[str], text: str = ""
) -> str:
    """The message exactly as each subscriber will read it; refuses missing parameters and free
    text where the gateway is not the simulator."""
    if template is not None:
        return template_render(body=template.body, parameters=parameters)
    if not text.strip():
        raise UserError(_("Scegli un modello o scrivi il testo."), code="campaign_empty")
    if settings.WHATSAPP_GATEWAY != "simulator":
        raise UserError(
            _(
                "Su WhatsApp una lista broadcast può partire solo con un modello approvato: "
                "il testo libero è ammesso solo con il simulatore."
            ),
            code="campaign_needs_template",
        )
    return text


def _require_alert_category(template: MessageTemplate | None, *, is_emergency: bool) -> None:
    """An emergency alert is "essential or critical to the user": Meta's utility category. A
    marketing template (chosen, or re-categorised by Meta since) would go through the marketing
    limits, which may hold it back from some citizens."""
    if is_emergency and template is not None and template.category != TemplateCategory.UTILITY:
        raise UserError(
            _(
                "Un avviso di emergenza richiede un modello di categoria «servizio»: «%(name)s» "
                "è «%(category)s» per Meta e potrebbe non arrivare a tutti. Scegli o crea un "
                "modello di servizio."
            )
            % {"name": template.name, "category": TemplateCategory(template.category).label},
            code="alert_needs_utility_template",
        )


def _require_sendable_content(campaign: Campaign) -> None:
    campaign_preview(template=campaign.template, parameters=campaign.parameters, text=campaign.text)
    _require_alert_category(campaign.template, is_emergency=campaign.is_emergency)
    if campaign.template is not None and not campaign.template.is_approved:
        raise UserError(
            _("Il modello «%(name)s» non è approvato da WhatsApp: la campagna non può partire.")
            % {"name": campaign.template.name},
            code="template_not_approved",
        )


def campaign_create(
    *,
    title: str,
    actor: Any,
    template: MessageTemplate | None = None,
    parameters: Sequence[str] = (),
    text: str = "",
    image: File | None = None,
    is_emergency: bool = False,
    audience: str = Audience.ALL_SUBSCRIBED,
) -> Campaign:
    """A draft campaign, its message checked as the citizen will read it."""
    values = [str(value) for value in parameters]
    campaign_preview(template=template, parameters=values, text=text)
    _require_alert_category(template, is_emergency=is_emergency)
    campaign = Campaign(
        title=title,
        template=template,
        parameters=values,
        text="" if template is not None else text,
        is_emergency=is_emergency,
        audience=audience,
        created_by=actor_account(actor),
        created_by_token=token_of(actor),
    )
    if image is not None:
        campaign.image = image
    # Made by one of the comune's systems, a campaign has no author account (see its events).
    campaign.full_clean(exclude=["created_by"])
    with transaction.atomic():
        campaign.save()
        CampaignEvent.objects.create(
            campaign=campaign,
            from_state=CampaignState.DRAFT,
            to_state=CampaignState.DRAFT,
            by=actor_account(actor),
            reason=" · ".join(part for part in (_("creata"), actor_label(actor)) if part),
        )
    return campaign


@transaction.atomic
def campaign_edit(
    *,
    campaign_id: int,
    actor: Any,
    title: str,
    template: MessageTemplate | None,
    parameters: Sequence[str],
    text: str = "",
    image: File | None = None,
    clear_image: bool = False,
    is_emergency: bool | None = None,
) -> Campaign:
    """Change a draft or an approved campaign; an approved one goes back to draft, to be
    approved again."""
    campaign = _locked(campaign_id)
    if campaign.state not in (CampaignState.DRAFT, CampaignState.APPROVED):
        raise UserError(
            _("Una campagna «%(state)s» non si può più modificare.")
            % {"state": CampaignState(campaign.state).label},
            code="campaign_locked",
        )
    values = [str(value) for value in parameters]
    campaign_preview(template=template, parameters=values, text=text)
    campaign.title = title
    campaign.template = template
    campaign.parameters = values
    campaign.text = "" if template is not None else text
    fields = ["title", "template", "parameters", "text"]
    if clear_image:
        campaign.image = ""
        fields.append("image")
    elif image is not None:
        campaign.image = image
        fields.append("image")
    if is_emergency is not None:
        campaign.is_emergency = is_emergency
        fields.append("is_emergency")
    campaign.full_clean()
    if campaign.state == CampaignState.APPROVED:
        campaign.approved_by = None
        campaign.approved_at = None
        return _transition(
            campaign=campaign,
            to=CampaignState.DRAFT,
            actor=actor,
            reason=_("modificata dopo l'approvazione"),
            fields=[*fields, "approved_by", "approved_at"],
        )
    campaign.save(update_fields=[*fields, "updated_at"])
    return campaign


def _next_free_slot(municipality, now: dt.datetime, *, exclude: int):
    taken = set(
        Campaign.objects.filter(
            state__in=[CampaignState.SCHEDULED, CampaignState.SENDING, CampaignState.SENT],
            scheduled_at__gt=now,
        )
        .exclude(pk=exclude)
        .values_list("scheduled_at", flat=True)
    )
    for occurrence in slot_occurrences(municipality, after=now, until=now + _SLOT_SEARCH):
        if occurrence.at not in taken and not in_quiet_hours(municipality, occurrence.at):
            return occurrence
    return None


@transaction.atomic
def campaign_schedule(*, campaign_id: int, actor: Any, at: dt.datetime | None = None) -> Campaign:
    """Give an approved campaign its time: the chosen one, or the comune's next free broadcast
    slot. A normal campaign never goes out in the quiet hours."""
    campaign = _locked(campaign_id)
    if campaign.state not in (CampaignState.APPROVED, CampaignState.SCHEDULED):
        raise UserError(
            _("Si può programmare solo una campagna approvata (questa è «%(state)s»).")
            % {"state": CampaignState(campaign.state).label},
            code="campaign_transition",
        )
    municipality = municipality_get_active()
    now = timezone.now()
    slot = None
    if at is None:
        occurrence = _next_free_slot(municipality, now, exclude=campaign.pk)
        if occurrence is None:
            raise UserError(
                _(
                    "Non c'è un appuntamento broadcast libero nei prossimi 60 giorni: configurane "
                    "uno o indica un orario."
                ),
                code="no_free_slot",
            )
        at, slot = occurrence.at, occurrence.slot
        reason = _("nel prossimo appuntamento libero")
    else:
        if timezone.is_naive(at):
            raise UserError(_("Indica l'orario con il fuso orario."), code="naive_time")
        if at < now - _CLOCK_SKEW:
            raise UserError(_("L'orario scelto è già passato."), code="time_in_past")
        if not campaign.is_emergency and in_quiet_hours(municipality, at):
            raise UserError(
                _(
                    "L'orario scelto cade nelle ore di silenzio (%(quiet)s): le liste broadcast "
                    "non partono di notte. Scegli un orario dalle %(end)s in poi; solo gli avvisi "
                    "di emergenza partono a qualsiasi ora."
                )
                % {
                    "quiet": describe_quiet_hours(municipality),
                    "end": f"{municipality.quiet_hours_end:%H:%M}",
                },
                code="quiet_hours",
            )
        reason = _("all'orario scelto")
    campaign.scheduled_at = at
    campaign.slot = slot
    return _transition(
        campaign=campaign,
        to=CampaignState.SCHEDULED,
        actor=actor,
        reason=reason,
        fields=["scheduled_at", "slot"],
    )


@transaction.atomic
def campaign_unschedule(*, campaign_id: int, actor: Any) -> Campaign:
    campaign = _locked(campaign_id)
    campaign.scheduled_at = None
    campaign.slot = None
    return _transition(
        campaign=campaign,
        to=CampaignState.APPROVED,
        actor=actor,
        reason=_("tolta dalla programmazione"),
        fields=["scheduled_at", "slot"],
    )


def campaign_start(*, campaign_id: int, actor: Any = None, reason: str = "") -> Campaign:
    """Start sending now ("send now", the scheduler, an emergency): write one delivery per
    recipient and hand them to the workers. Starting twice sends once: the second call finds
    the campaign already sending and does nothing. A normal campaign asked to start in the
    quiet hours waits for them to end."""
    with transaction.atomic():
        campaign = _locked(campaign_id)
        if campaign.state in CAMPAIGN_LOCKED_STATES:
            return campaign
        if campaign.state not in (CampaignState.APPROVED, CampaignState.SCHEDULED):
            raise UserError(
                _("La campagna va approvata prima dell'invio."), code="campaign_not_approved"
            )
        now = timezone.now()
        if not campaign.is_emergency:
            municipality = municipality_get_active()
            if in_quiet_hours(municipality, now):
                campaign.scheduled_at = quiet_hours_end(municipality, now)
                return _transition(
                    campaign=campaign,
                    to=CampaignState.SCHEDULED,
                    actor=actor,
                    reason=_("ore di silenzio (%(quiet)s): partirà alle %(end)s")
                    % {
                        "quiet": describe_quiet_hours(municipality),
                        "end": f"{timezone.localtime(campaign.scheduled_at):%H:%M}",
                    },
                    fields=["scheduled_at"],
                )
        _require_sendable_content(campaign)
        campaign.recipients_count = campaign_plan_deliveries(campaign=campaign)
        campaign.started_at = now
        campaign.last_batch_at = now
        _transition(
            campaign=campaign,
            to=CampaignState.SENDING,
            actor=actor,
            reason=reason or _("invio"),
            fields=["recipients_count", "started_at", "last_batch_at"],
        )
        transaction.on_commit(lambda: fanout.enqueue_send_batch(campaign.pk))
    return campaign


@transaction.atomic
def campaign_pause(*, campaign_id: int, actor: Any) -> Campaign:
    """Stop handing deliveries to the gateway; the ones already handed still go out."""
    campaign = _locked(campaign_id)
    return _transition(
        campaign=campaign, to=CampaignState.PAUSED, actor=actor, reason=_("messa in pausa")
    )


def campaign_resume(*, campaign_id: int, actor: Any) -> Campaign:
    with transaction.atomic():
        campaign = _locked(campaign_id)
        if campaign.state != CampaignState.PAUSED:
            # approved -> sending is "send now", which plans the deliveries; resuming does not.
            raise UserError(
                _("Si può riprendere solo una campagna in pausa (questa è «%(state)s»).")
                % {"state": CampaignState(campaign.state).label},
                code="campaign_transition",
            )
        if not campaign.is_emergency:
            municipality = municipality_get_active()
            if in_quiet_hours(municipality, timezone.now()):
                raise UserError(
                    _(
                        "Sono le ore di silenzio (%(quiet)s): l'invio si può riprendere dalle "
                        "%(end)s."
                    )
                    % {
                        "quiet": describe_quiet_hours(municipality),
                        "end": f"{municipality.quiet_hours_end:%H:%M}",
                    },
                    code="quiet_hours",
                )
        campaign.last_batch_at = timezone.now()
        _transition(
            campaign=campaign,
            to=CampaignState.SENDING,
            actor=actor,
            reason=_("ripresa"),
            fields=["last_batch_at"],
        )
        transaction.on_commit(lambda: fanout.enqueue_send_batch(campaign.pk))
    return campaign


@transaction.atomic
def campaign_cancel(*, campaign_id: int, actor: Any, reason: str = "") -> Campaign:
    """Stop for good: what was not yet handed to the gateway (or is still waiting in the
    outbox) is cancelled."""
    campaign = _locked(campaign_id)
    was_started = campaign.state in (CampaignState.SENDING, CampaignState.PAUSED)
    campaign.finished_at = timezone.now()
    _transition(
        campaign=campaign,
        to=CampaignState.CANCELLED,
        actor=actor,
        reason=reason or _("annullata"),
        fields=["finished_at"],
    )
    if was_started:
        deliveries_cancel_pending(campaign_id=campaign.pk)
    return campaign
