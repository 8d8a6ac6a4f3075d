import string

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from .calendar import ComuneCalendar
from .errors import NoActiveMunicipality
from .keywords import normalize_keyword
from .models import Municipality, WhatsAppNumber
from .scope import ComuneScopeMissing, current_comune
from .states import KeywordKind

CONFIGURATION_RELATIONS = ("office_slots", "closures", "keywords", "broadcast_slots")


def _active_unscoped(*, prefetch: bool) -> Municipality | None:
    """The deployment's active comune, for code running outside a comune's scope; raises
    ComuneScopeMissing when numbers are bound to other comuni too (scope.py: fail closed).
    One query, as before the tenancy (the check rides along as a subquery)."""
    queryset = Municipality.objects.filter(is_active=True).annotate(
        serves_others=Exists(WhatsAppNumber.objects.exclude(comune=OuterRef("pk")))
    )
    if prefetch:
        queryset = queryset.prefetch_related(*CONFIGURATION_RELATIONS)
    municipality = queryset.first()
    if municipality is not None and municipality.serves_others:
        raise ComuneScopeMissing()
    return municipality


def municipality_get_active() -> Municipality:
    """The comune the running code works for: the scope's (scope.py), else the active one."""
    scoped = current_comune()
    if scoped is not None:
        return scoped
    municipality = _active_unscoped(prefetch=True)
    if municipality is None:
        raise NoActiveMunicipality()
    return municipality


def municipality_get_active_or_none() -> Municipality | None:
    """Like municipality_get_active, without its relations, and None where there is none or
    the comune cannot be told (then what depends on it is left undone, never done with
    another comune's configuration)."""
    scoped = current_comune()
    if scoped is not None:
        return scoped
    try:
        return _active_unscoped(prefetch=False)
    except ComuneScopeMissing:
        return None


def municipality_for_scope(*, comune_id: int) -> Municipality:
    """A comune loaded with its configuration, to run a unit of work in its scope."""
    return Municipality.objects.prefetch_related(*CONFIGURATION_RELATIONS).get(pk=comune_id)


def municipality_scope_of_row(*, comune_id: int | None) -> Municipality | None:
    """The scope to do a row's work in: its comune's, the active comune's for a row with
    none on a deployment serving several, and none (unscoped, as before) on one of a comune."""
    from .scope import serves_other_comuni

    if comune_id is not None:
        return municipality_for_scope(comune_id=comune_id)
    if not serves_other_comuni():
        return None
    return (
        Municipality.objects.prefetch_related(*CONFIGURATION_RELATIONS)
        .filter(is_active=True)
        .first()
    )


def _number_lookup(phone_number_id: str) -> tuple[int | None, bool]:
    """(the comune bound to this number or None, whether any number is bound): one statement
    by hand, as every webhook asks it. The ORM's aggregate spent 0.8 ms of CPU per call
    compiling the query (benchmarks/tenancy_routing.py) for what PostgreSQL answers from the
    unique index in microseconds."""
    table = connection.ops.quote_name(WhatsAppNumber._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT comune_id FROM {table} WHERE phone_number_id = %s), "  # noqa: S608
            f"EXISTS (SELECT 1 FROM {table})",
            [phone_number_id],
        )
        comune_id, any_bound = cursor.fetchone()
    return comune_id, bool(any_bound)


def phone_number_id_is_ours(phone_number_id: str) -> bool:
    """A webhook for this number is processed: a number bound to a comune, the deployment's own
    (WHATSAPP_PHONE_NUMBER_ID), or any while neither is configured (a number being set up).
    The deployment's own number costs no query; any other, one on a table of a few rows."""
    own = str(settings.WHATSAPP_PHONE_NUMBER_ID or "")
    if own and phone_number_id == own:
        return True
    comune_id, any_bound = _number_lookup(phone_number_id)
    return comune_id is not None or (not own and not any_bound)


def municipality_route_phone_number_id(phone_number_id: str) -> int | None:
    """The comune a webhook for one of our numbers belongs to: the one bound to it, else (the
    deployment's own number) the active comune. None on a deployment of one comune (no number
    bound): its rows stay unassigned and its code unscoped, exactly as before the tenancy, so
    switching the active preset keeps every citizen. One query (two for the active comune's
    own number on a deployment serving several)."""
    comune_id, any_bound = _number_lookup(phone_number_id)
    if not any_bound:
        return None
    if comune_id is not None:
        return int(comune_id)
    return Municipality.objects.filter(is_active=True).values_list("pk", flat=True).first()


def municipality_numbers_bound() -> bool:
    return WhatsAppNumber.objects.exists()


def whatsapp_number_of(*, comune_id: int) -> WhatsAppNumber | None:
    """The number a comune's messages leave from (its first bound one), None for the
    deployment's own (the WHATSAPP_* variables)."""
    return WhatsAppNumber.objects.filter(comune_id=comune_id).order_by("pk").first()


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
