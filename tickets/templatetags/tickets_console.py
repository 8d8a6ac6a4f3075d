import datetime as dt

from django import template
from django.contrib.admin.templatetags.admin_list import result_headers
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.utils import timezone
from django.utils.translation import gettext as _

from urp_portal.gateway.backlog import gateway_backlog, queue_label

from ..dashboard import dashboard_for
from ..figures import late_by_age, satisfaction_total, surveys_between
from ..selectors import user_is_urp

register = template.Library()


@register.inclusion_tag("tickets/dashboard.html", takes_context=True)
def tickets_dashboard(context):
    request = context.get("request")
    if request is None or not user_is_urp(request.user):
        return {"dashboard": None}
    now = timezone.now()
    month = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return {
        "dashboard": dashboard_for(now=now),
        "late_by_age": late_by_age(now=now),
        "satisfaction": satisfaction_total(surveys_between(month, now)),
        "backlog": _backlog_rows(),
    }


def _backlog_rows() -> dict:
    """Queue depths and the oldest waits, so a lag shows before citizens notice it."""
    backlog = gateway_backlog()
    return {
        "queues": [(queue_label(name), n) for name, n in (backlog.queues or {}).items()],
        "oldest_status_event": backlog.oldest_status_event,
        "oldest_webhook_event": backlog.oldest_webhook_event,
        "oldest_inbound_message": backlog.oldest_inbound_message,
    }


@register.filter
def duration_words(value: dt.timedelta | None) -> str:
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    if minutes < 60:
        return _("%(n)d min") % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    return _("%(d)d giorni") % {"d": hours // 24}


def inbox_result_list(cl):
    """The admin's `result_list` for the inbox, its rows drawn by InboxChangeList.result_rows."""
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": [],
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": cl.result_rows(),
    }


@register.tag(name="inbox_result_list")
def inbox_result_list_tag(parser, token):
    return InclusionAdminNode(
        parser,
        token,
        func=inbox_result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )
