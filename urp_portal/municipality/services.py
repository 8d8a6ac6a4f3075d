import re
from collections import defaultdict
from collections.abc import Iterable
from itertools import pairwise

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .keywords import normalize_keyword
from .models import (
    BroadcastSlot,
    Keyword,
    LogEntryComune,
    Municipality,
    OfficeHoursSlot,
    WhatsAppNumber,
)
from .presets import PRESETS
from .scope import (
    comune_owned_models,
    current_comune,
    forget_serves_other_comuni,
    serves_other_comuni,
)
from .sealed import reseal, seal
from .signals import comune_activated, comune_loaded
from .states import KeywordKind, Weekday

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Meta's phone number ids are numeric (e.g. 106540352242922); the simulator's is a word.
PHONE_NUMBER_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")


def validate_office_slots(slots: Iterable[tuple[int, object, object]]) -> None:
    """Refuse slots of one day that overlap (Cagliari's 9-12 and 15:30-17:30 do not)."""
    by_day: dict[int, list] = defaultdict(list)
    for weekday, opens_at, closes_at in slots:
        by_day[weekday].append((opens_at, closes_at))
    for weekday, ranges in by_day.items():
        ranges.sort()
        for (_o1, closes), (opens, _c2) in pairwise(ranges):
            if opens < closes:
                raise ValidationError(
                    _("Le fasce orarie di %(day)s si sovrappongono: %(a)s e %(b)s.")
                    % {
                        "day": Weekday(weekday).label,
                        "a": f"{_o1:%H:%M}-{closes:%H:%M}",
                        "b": f"{opens:%H:%M}-{_c2:%H:%M}",
                    },
                    code="overlapping_slots",
                )


def validate_keywords(words: Iterable[tuple[str, str]]) -> None:
    """Refuse a keyword given twice, above all one that would both subscribe and unsubscribe."""
    seen: dict[str, tuple[str, str]] = {}
    for kind, word in words:
        normalized = normalize_keyword(word)
        if not normalized:
            raise ValidationError(
                _('La parola chiave "%(word)s" non contiene lettere né cifre.') % {"word": word},
                code="empty_keyword",
            )
        if normalized in seen:
            other_kind, other_word = seen[normalized]
            if other_kind != kind:
                raise ValidationError(
                    _(
                        '"%(word)s" non può servire sia per iscriversi sia per cancellarsi '
                        '(coincide con "%(other)s").'
                    )
                    % {"word": word, "other": other_word},
                    code="keyword_both_ways",
                )
            raise ValidationError(
                _('La parola chiave "%(word)s" è ripetuta.') % {"word": word},
                code="duplicate_keyword",
            )
        seen[normalized] = (kind, word)


@transaction.atomic
def municipality_activate(*, municipality: Municipality) -> Municipality:
    """Make `municipality` the active comune. Rows with no comune are the active comune's
    (scope.owned_by); when the new one already has rows of its own (it was served beside the
    active one, loaded by `load_preset --comune`), it would see both, its codes twice. So each
    comune keeps exactly its own: the rows with no comune go to the comune active until now
    and the new one's rows take their place, in this transaction (_active_rows_hand_over).
    A comune with no rows of its own (a single-comune deployment's `load_preset X`) takes the
    rows with no comune as before: its citizens and tickets stay."""
    active = Municipality.objects.select_for_update().filter(is_active=True).first()
    if active is not None and active.pk == municipality.pk:
        # Already the active one (a preset loaded again): its rows are where they belong.
        previous, moved = None, False
    else:
        previous = active
        moved = _active_rows_hand_over(to=municipality, previous=previous)
    Municipality.objects.filter(is_active=True).exclude(pk=municipality.pk).update(is_active=False)
    Municipality.objects.filter(pk=municipality.pk).update(is_active=True)
    municipality.is_active = True
    # Bulk updates send no signal: which comuni are "others" may just have changed.
    transaction.on_commit(forget_serves_other_comuni)
    forget_serves_other_comuni()
    comune_activated.send(sender=Municipality, comune=municipality, previous=previous, moved=moved)
    return municipality


def _active_rows_hand_over(*, to: Municipality, previous: Municipality | None) -> bool:
    """Every comune-owned model (scope.comune_owned_models): the rows with no comune become
    `previous`'s, then `to`'s own rows become the ones with no comune, the active comune's
    (the moderation lists and the catalogue new comuni copy read the active comune's rows as
    those with none). Nothing moves when `to` has no rows of its own. Refused, with nothing
    changed, when a code of the rows handed back is one `previous` already has of its own, or
    when nobody was active to hand them to: either way a list would hold a code twice."""
    models_ = comune_owned_models()
    if not any(model._base_manager.filter(comune=to).exists() for model in models_):
        return False
    if previous is None:
        unowned = [m for m in models_ if m._base_manager.filter(comune__isnull=True).exists()]
        if unowned:
            raise ValidationError(
                _(
                    "%(comune)s ha già dati propri e ci sono dati senza comune (%(what)s), ma "
                    "nessun comune attivo a cui restituirli: renderlo attivo li mescolerebbe. "
                    "Nulla è stato cambiato."
                )
                % {
                    "comune": to,
                    "what": ", ".join(str(m._meta.verbose_name_plural) for m in unowned),
                },
                code="activation_would_mix_rows",
            )
    for model in models_:
        rows = model._base_manager.all()
        try:
            with transaction.atomic():
                if previous is not None:
                    rows.filter(comune__isnull=True).update(comune=previous)
                rows.filter(comune=to).update(comune=None)
        except IntegrityError as exc:
            raise ValidationError(
                _(
                    "%(previous)s ha già, tra i propri %(what)s, un codice presente anche tra "
                    "quelli senza comune: non gli si possono restituire senza doppioni. Nulla "
                    "è stato cambiato."
                )
                % {"previous": previous, "what": model._meta.verbose_name_plural},
                code="activation_code_twice",
            ) from exc
    return True


def municipality_set_keywords(
    *, municipality: Municipality, subscribe: list[str], unsubscribe: list[str]
) -> None:
    pairs = [(KeywordKind.SUBSCRIBE, w) for w in subscribe] + [
        (KeywordKind.UNSUBSCRIBE, w) for w in unsubscribe
    ]
    validate_keywords(pairs)
    municipality.keywords.all().delete()
    Keyword.objects.bulk_create(
        Keyword(municipality=municipality, kind=kind, word=word, normalized=normalize_keyword(word))
        for kind, word in pairs
    )


@transaction.atomic
def municipality_load_preset(*, slug: str) -> Municipality:
    """Make a seed comune's preset the active configuration; loading it again changes nothing."""
    municipality = _preset_apply(preset_slug=slug, comune_slug=slug)
    return municipality_activate(municipality=municipality)


@transaction.atomic
def municipality_load_preset_for_number(
    *,
    preset: str,
    comune_slug: str,
    phone_number_id: str,
    business_account_id: str = "",
    business_portfolio_id: str = "",
    access_token: str = "",
    app_secret: str = "",
) -> Municipality:
    """Add or update the comune `comune_slug` from a preset, bound to a WhatsApp number, on a
    deployment serving several comuni: the other comuni, and which one is active, are left as
    they are. Loading it again changes nothing."""
    comune_slug = comune_slug.strip()
    if not SLUG.fullmatch(comune_slug):
        raise ValidationError(
            _('Il codice del comune "%(slug)s" non è valido: lettere minuscole, cifre e trattini.')
            % {"slug": comune_slug},
            code="invalid_comune_slug",
        )
    municipality = _preset_apply(preset_slug=preset, comune_slug=comune_slug)
    whatsapp_number_bind(
        comune=municipality,
        phone_number_id=phone_number_id,
        business_account_id=business_account_id,
        business_portfolio_id=business_portfolio_id,
        access_token=access_token,
        app_secret=app_secret,
    )
    comune_loaded.send(sender=Municipality, comune=municipality, preset=preset)
    return municipality


def whatsapp_number_bind(
    *,
    comune: Municipality,
    phone_number_id: str,
    business_account_id: str = "",
    business_portfolio_id: str = "",
    access_token: str = "",
    app_secret: str = "",
) -> WhatsAppNumber:
    """Bind a WhatsApp number to a comune (or update its account and portfolio ids and
    secrets; an empty one keeps what is stored). A number already bound to another comune is
    refused: moving it would hand that comune's citizens to this one."""
    phone_number_id = phone_number_id.strip()
    if not PHONE_NUMBER_ID.fullmatch(phone_number_id):
        raise ValidationError(
            _('"%(value)s" non è un id di numero WhatsApp (solo cifre, come lo mostra Meta).')
            % {"value": phone_number_id},
            code="invalid_phone_number_id",
        )
    with transaction.atomic():
        number = (
            WhatsAppNumber.objects.select_for_update()
            .filter(phone_number_id=phone_number_id)
            .first()
        )
        if number is not None and number.comune_id != comune.pk:
            raise ValidationError(
                _("Il numero %(number)s è già del comune «%(other)s».")
                % {"number": phone_number_id, "other": number.comune},
                code="number_of_another_comune",
            )
        if number is None:
            number = WhatsAppNumber(comune=comune, phone_number_id=phone_number_id)
        if business_account_id:
            number.business_account_id = business_account_id.strip()
        if business_portfolio_id:
            number.business_portfolio_id = business_portfolio_id.strip()
        if access_token:
            number.access_token_sealed = seal(access_token)
        if app_secret:
            number.app_secret_sealed = seal(app_secret)
        number.save()
    return number


@transaction.atomic
def whatsapp_numbers_reseal() -> int:
    """Seal every stored secret again with the first key of URP_SECRETS_KEY (after putting a
    new key first; the old one can be removed once this ran). Returns the numbers resealed."""
    numbers = list(WhatsAppNumber.objects.select_for_update())
    for number in numbers:
        number.access_token_sealed = reseal(number.access_token_sealed)
        number.app_secret_sealed = reseal(number.app_secret_sealed)
        number.save(update_fields=["access_token_sealed", "app_secret_sealed", "updated_at"])
    return len(numbers)


def _preset_apply(*, preset_slug: str, comune_slug: str) -> Municipality:
    try:
        preset = PRESETS[preset_slug]
    except KeyError as exc:
        raise ValidationError(
            _('Comune sconosciuto "%(slug)s". Scegli tra: %(choices)s.')
            % {"slug": preset_slug, "choices": ", ".join(PRESETS)},
            code="unknown_preset",
        ) from exc
    validate_office_slots(preset.office_slots)
    municipality, _created = Municipality.objects.update_or_create(
        slug=comune_slug, defaults=preset.values
    )
    municipality.full_clean()
    municipality.office_slots.all().delete()
    OfficeHoursSlot.objects.bulk_create(
        OfficeHoursSlot(municipality=municipality, weekday=d, opens_at=o, closes_at=c)
        for d, o, c in preset.office_slots
    )
    municipality.broadcast_slots.all().delete()
    BroadcastSlot.objects.bulk_create(
        BroadcastSlot(municipality=municipality, weekday=d, at=t) for d, t in preset.broadcast_slots
    )
    municipality_set_keywords(
        municipality=municipality,
        subscribe=preset.subscribe_words,
        unsubscribe=preset.unsubscribe_words,
    )
    return municipality


def log_entries_comune_record(*, log_entry_ids: Iterable[int]) -> int:
    """The comune the admin history entries just written belong to: the running scope's (the
    session's comune; admin_scope.ComuneHistoryOnly shows them to its staff alone). Unscoped
    work is the active comune's (an empty comune) on a deployment of one comune; where several
    are served nothing is recorded, so no comune's staff see it. Returns the rows written."""
    comune = current_comune()
    if comune is None and serves_other_comuni():
        return 0
    rows = [LogEntryComune(log_entry_id=pk, comune=comune) for pk in log_entry_ids if pk]
    return len(LogEntryComune.objects.bulk_create(rows))
