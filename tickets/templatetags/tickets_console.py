import datetime as dt

from django import template
from django.utils.translation import gettext as _

from ..dashboard import dashboard_for
from ..selectors import user_is_urp

register = template.Library()


@register.inclusion_tag("tickets/dashboard.html", takes_context=True)
def tickets_dashboard(context):
    request = context.get("request")
    if request is None or not user_is_urp(request.user):
        return {"dashboard": None}
    return {"dashboard": dashboard_for()}


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
