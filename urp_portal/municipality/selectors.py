import string

from django.utils.translation import gettext as _

from .calendar import ComuneCalendar
from .errors import NoActiveMunicipality
from .keywords import normalize_keyword
from .models import Municipality
from .states import KeywordKind


def municipality_get_active() -> Municipality:
    municipality = (
        Municipality.objects.filter(is_active=True)
        .prefetch_related("office_slots", "closures", "keywords", "broadcast_slots")
        .first()
    )
    if municipality is None:
        raise NoActiveMunicipality()
    return municipality


def municipality_calendar(municipality: Municipality) -> ComuneCalendar:
    return ComuneCalendar.for_municipality(municipality)


def municipality_keyword_kind(municipality: Municipality, text: str) -> str | None:
    """KeywordKind of a message that is exactly one of the comune's keywords, else None."""
    normalized = normalize_keyword(text)
    if not normalized:
        return None
    for keyword in municipality.keywords.all():
        if keyword.normalized == normalized:
            return keyword.kind
    return None


def municipality_keywords(municipality: Municipality, kind: KeywordKind) -> list[str]:
    return [k.word for k in municipality.keywords.all() if k.kind == kind]


def municipality_channels_text(municipality: Municipality) -> str:
    """The other channels, in words, for redirect texts ({canali})."""
    parts = []
    if municipality.channel_phone:
        parts.append(_("telefono %(value)s") % {"value": municipality.channel_phone})
    if municipality.channel_email:
        parts.append(_("email %(value)s") % {"value": municipality.channel_email})
    if municipality.channel_pec:
        parts.append(_("PEC %(value)s") % {"value": municipality.channel_pec})
    if municipality.channel_app:
        parts.append(municipality.channel_app)
    if municipality.channel_web:
        parts.append(municipality.channel_web)
    return ", ".join(parts) or _("gli sportelli del Comune")


class _KeepUnknown(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render_text(template: str, **values: object) -> str:
    """Fill {placeholders} the comune wrote in a text; an unknown one is left as written."""
    formatter = string.Formatter()
    try:
        return formatter.vformat(template, (), _KeepUnknown(values))
    except (ValueError, IndexError):
        # A stray brace in an administrator's text must not stop a reply from going out.
        return template
