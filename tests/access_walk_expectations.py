"""What each role gets at each URL of the access walk (tests/test_access_walk.py, whose
docstring says how the walk reads this table), and the objects the URLs are filled with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

ROLES = ["administrator", "operator", "communications", "moderator", "service", "anonymous"]
STAFF = ROLES[:-1]
OFFICE_HOURS = dt.datetime(2026, 3, 3, 10, 0, tzinfo=ZoneInfo("Europe/Rome"))
MISSING_ID = 999_999_999


def every(status: int, **per_role: int) -> dict[str, int]:
    """`status` for every staff role, the sign-in page for the anonymous, unless said."""
    return {**dict.fromkeys(STAFF, status), "anonymous": 302, **per_role}


def api(status: int, **per_role: int) -> dict[str, int]:
    """The API through a console session: 401 for the anonymous (no session, no token)."""
    return {**dict.fromkeys(STAFF, status), "anonymous": 401, **per_role}


# Where a ModelAdmin answers otherwise than its model permissions alone say, and why.
STANDARD_EXCEPTIONS: dict[tuple[str, str], dict[str, int]] = {
    # Tickets are opened by citizens' messages, never by hand.
    ("tickets.ticket", "add"): every(403),
    # The change page is the conversation page: a redirect for everyone, which then answers 404
    # to whoever may not see the ticket (walked as admin:tickets_ticket_conversation).
    ("tickets.ticket", "change"): every(302),
    # Another service's ticket is not in the service's list: "no such object" (302), as for a
    # role without rights on tickets.
    ("tickets.ticket", "history"): every(302, administrator=200, operator=200),
    # The screening queue has no change, history or delete page of its own: its rows are acted
    # on through moderation_flag_act.
    ("moderation.screeningflag", "change"): every(403, administrator=404, moderator=404),
    ("moderation.screeningflag", "history"): every(403, administrator=404, moderator=404),
    ("moderation.screeningflag", "delete"): every(403, administrator=404, moderator=404),
}


# The objects a pattern's parameters are filled with: another service's ticket wherever a ticket
# is asked for (the service's staff must not reach it), real rows elsewhere.
ARGS: dict[str, Callable[[Any], list]] = {
    "admin:view_on_site": lambda w: [MISSING_ID, MISSING_ID],
    "admin:auth_user_password_change": lambda w: [w.users["operator"].pk],
    "admin:subscribers_subscriber_export": lambda w: [w.other_ticket.subscriber_id],
    "admin:subscribers_subscriber_erase": lambda w: [w.other_ticket.subscriber_id],
    "admin:tickets_ticket_conversation": lambda w: [w.other_ticket.pk],
    "admin:tickets_ticket_next": lambda w: [w.other_ticket.pk],
    "admin:moderation_flag_act": lambda w: [w.flag.pk, "remove"],
    "admin:moderation_case_report": lambda w: [w.flag.case_id],
    "admin:moderation_case_close": lambda w: [w.flag.case_id],
    "admin:moderation_citizen_history": lambda w: [w.flag.case.subscriber_id],
    "admin:broadcasts_campaign_action": lambda w: [w.campaign.pk, "approve"],
    "admin:broadcasts_campaign_report": lambda w: [w.campaign.pk],
    "admin:broadcasts_campaign_report_csv": lambda w: [w.campaign.pk],
    "admin:app_list": lambda w: ["tickets"],
    "admin/(?P<url>.*)$": lambda w: ["nessuna-pagina/"],
    "tickets:media": lambda w: [w.other_media.pk],
    "tickets:forward_link": lambda w: [w.other_forward.token],
    "api:subscriber-export": lambda w: [w.other_ticket.subscriber_id],
    "api:ticket-detail": lambda w: [w.other_ticket.pk],
    "api:ticket-reply": lambda w: [w.other_ticket.pk],
    "api:ticket-forward": lambda w: [w.other_ticket.pk],
    "api:ticket-resolve": lambda w: [w.other_ticket.pk],
    "api:ticket-assign": lambda w: [w.other_ticket.pk],
    "api:campaign-detail": lambda w: [w.campaign.pk],
    "api:campaign-approve": lambda w: [w.campaign.pk],
    "api:campaign-schedule": lambda w: [w.campaign.pk],
    "api:campaign-send": lambda w: [w.campaign.pk],
    "api:campaign-pause": lambda w: [w.campaign.pk],
    "api:campaign-resume": lambda w: [w.campaign.pk],
    "api:campaign-cancel": lambda w: [w.campaign.pk],
    "gateway:whatsapp_webhook": lambda w: ["meta"],
    "provider:number_bind": lambda w: [_active_comune_id()],
    "provider:administrator_create": lambda w: [_active_comune_id()],
    "provider:invitation": lambda w: ["MQ", "no-such-token"],
    "provider:staff_list": lambda w: [_active_comune_id()],
    "provider:staff_member": lambda w: [_active_comune_id(), w.users["operator"].pk],
    "staff:member": lambda w: [w.users["operator"].pk],
}


def _active_comune_id() -> int:
    from urp_portal.municipality.models import Municipality

    return Municipality.objects.get(is_active=True).pk


# Reviewed row by row: see the module's docstring. Roles: administrator, operator,
# communications, moderator, service (staff of service A), anonymous.
_MODERATION = every(403, administrator=200, moderator=200)
_MODERATION_MISSING_ROW = every(403, administrator=404, moderator=404)
_NO_TICKETS = {"communications": 404, "moderator": 404}
_CAMPAIGN_WRITE = api(403, administrator=405, communications=405)
_TICKET_WRITE = api(403, administrator=405, operator=405)
EXPECTED: dict[str, dict[str, int]] = {
    # The second factor: administrators and moderators have a device (the code page); the
    # others have none and are sent to enrol, which anyone may.
    "accounts:second_factor_verify": every(302, administrator=200, moderator=200),
    "accounts:second_factor_enrol": every(200),
    # Scegli il comune: on one comune the page lists the one comune (issue #24).
    "comune_pick": every(200),
    "admin:index": every(200),
    "admin:login": every(302, anonymous=200),
    # Signing out takes a POST.
    "admin:logout": every(405),
    "admin:password_change": every(200),
    "admin:password_change_done": every(200),
    # Without its query parameters the autocomplete refuses everyone.
    "admin:autocomplete": every(403),
    "admin:jsi18n": every(200),
    "admin:view_on_site": every(404),
    "admin:auth_user_password_change": every(403, administrator=200),
    # Art. 15 and 17: administrators only.
    "admin:subscribers_subscriber_export": every(403, administrator=200),
    "admin:subscribers_subscriber_erase": every(403, administrator=200),
    # Another service's ticket: 404 for the service's staff, as for roles without tickets.
    "admin:tickets_ticket_conversation": every(200, service=404, **_NO_TICKETS),
    # The live view answers what the viewer may see (nothing of another service's tickets); the
    # "next ticket" key leads to a ticket of one's own list or back to the inbox.
    "admin:tickets_ticket_live": every(200, **_NO_TICKETS),
    "admin:tickets_ticket_next": every(302, **_NO_TICKETS),
    "admin:moderation_flag_act": _MODERATION,
    "admin:moderation_case_report": _MODERATION,
    "admin:moderation_case_close": _MODERATION,
    "admin:moderation_citizen_history": _MODERATION,
    "admin:moderation_counts": _MODERATION,
    "admin:moderation_block_unblock": _MODERATION_MISSING_ROW,
    "admin:moderation_action_reverse": _MODERATION_MISSING_ROW,
    "admin:moderation_evidence_download": _MODERATION_MISSING_ROW,
    "admin:moderation_evidence_verify": _MODERATION_MISSING_ROW,
    # Campaign actions take a POST (the services check the role: broadcasts' tests).
    "admin:broadcasts_campaign_action": every(405),
    "admin:broadcasts_campaign_report": every(403, administrator=200, communications=200),
    "admin:broadcasts_campaign_report_csv": every(403, administrator=200, communications=200),
    "admin:app_list": every(200, **_NO_TICKETS),
    # The audit trail's export and the records of processing (art. 30): administrators only.
    "admin:audit_auditevent_export": every(403, administrator=200),
    "admin:audit_processing_records": every(403, administrator=200),
    "admin/(?P<url>.*)$": every(404),
    "healthz": dict.fromkeys(ROLES, 200),
    # The yearly report (issue #22): figures for the URP, administrators and operators.
    "reports:report": every(403, administrator=200, operator=200),
    "reports:report_csv": every(403, administrator=200, operator=200),
    "reports:report_xlsx": every(403, administrator=200, operator=200),
    # The provider's administrators' pages (issue #24): their group only, none of these roles.
    "provider:health": every(403),
    "provider:comune_create": every(403),
    "provider:number_bind": every(403),
    "provider:administrator_create": every(403),
    "provider:staff_list": every(403),
    "provider:staff_member": every(403),
    # The comune's staff (issue #24): its administrators manage it.
    "staff:list": every(403, administrator=200),
    "staff:member": every(403, administrator=200),
    # The invitation link is opened before signing in; a wrong token says so (200).
    "provider:invitation": dict.fromkeys(ROLES, 200),
    # The accessibility statement is public, as AgID asks; the guide is for the staff.
    "conventions:accessibility": dict.fromkeys(ROLES, 200),
    "conventions:operator_guide": every(200),
    "readyz": dict.fromkeys(ROLES, 200),
    # The server's address alone: on to the console, which asks the anonymous to sign in.
    "home": dict.fromkeys(ROLES, 302),
    "tickets:media": every(200, service=404, **_NO_TICKETS),
    # The email link: to the conversation for the URP; another service's link is a 404.
    "tickets:forward_link": every(302, service=404, **_NO_TICKETS),
    # The API's description: staff and tokens (API_DOCS_PUBLIC opens it to anyone).
    "api:schema": api(200),
    "api:docs": api(200),
    "api:redoc": api(200),
    # 400: the lookup needs ?number=.
    "api:subscriber-lookup": api(400, moderator=403, service=403),
    "api:stats": api(200, service=403),
    "api:subscriber-export": api(403, administrator=200),
    "api:service-list": api(200, moderator=403),
    "api:ticket-list": api(200, communications=403, moderator=403),
    "api:ticket-detail": api(200, communications=403, moderator=403, service=404),
    "api:ticket-reply": api(405, communications=403, moderator=403),
    "api:ticket-forward": _TICKET_WRITE,
    "api:ticket-resolve": _TICKET_WRITE,
    "api:ticket-assign": _TICKET_WRITE,
    "api:template-list": api(200, moderator=403, service=403),
    "api:campaign-create": _CAMPAIGN_WRITE,
    "api:campaign-detail": api(403, administrator=200, communications=200),
    "api:campaign-approve": _CAMPAIGN_WRITE,
    "api:campaign-schedule": _CAMPAIGN_WRITE,
    "api:campaign-send": _CAMPAIGN_WRITE,
    "api:campaign-pause": _CAMPAIGN_WRITE,
    "api:campaign-resume": _CAMPAIGN_WRITE,
    "api:campaign-cancel": _CAMPAIGN_WRITE,
    "api:alerts": _CAMPAIGN_WRITE,
    "api:alert-confirm": _CAMPAIGN_WRITE,
    # Meta's handshake without its token: refused to everyone, signed-in or not.
    "gateway:whatsapp_webhook": dict.fromkeys(ROLES, 403),
}
