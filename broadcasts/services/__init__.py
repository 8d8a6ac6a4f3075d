"""Every write of the broadcasts app (STYLE.md): templates, campaigns, fan-out, the scheduler."""

from .alerts import alert_confirm, alert_create
from .approval import campaign_approve
from .campaigns import (
    campaign_cancel,
    campaign_create,
    campaign_edit,
    campaign_pause,
    campaign_preview,
    campaign_resume,
    campaign_schedule,
    campaign_start,
    campaign_unschedule,
)
from .counts import campaign_counts_compact
from .fanout import (
    campaign_plan_deliveries,
    campaign_send_next_batch,
    campaigns_resume_stuck,
    deliveries_cancel_pending,
    hand_to_gateway,
)
from .slots import broadcast_slots_warn_empty, campaign_start_due, campaigns_due
from .template_review import (
    message_template_apply_provider_update,
    message_template_submit,
    template_edit_check,
)
from .templates import (
    message_template_create,
    message_template_set_status,
    message_template_text_changed,
    template_render,
    template_sync_statuses,
)
from .transitions import campaign_transition

__all__ = [
    "alert_confirm",
    "alert_create",
    "broadcast_slots_warn_empty",
    "campaign_approve",
    "campaign_cancel",
    "campaign_counts_compact",
    "campaign_create",
    "campaign_edit",
    "campaign_pause",
    "campaign_plan_deliveries",
    "campaign_preview",
    "campaign_resume",
    "campaign_schedule",
    "campaign_send_next_batch",
    "campaign_start",
    "campaign_start_due",
    "campaign_transition",
    "campaign_unschedule",
    "campaigns_due",
    "campaigns_resume_stuck",
    "deliveries_cancel_pending",
    "hand_to_gateway",
    "message_template_apply_provider_update",
    "message_template_create",
    "message_template_set_status",
    "message_template_submit",
    "message_template_text_changed",
    "template_edit_check",
    "template_render",
    "template_sync_statuses",
]
