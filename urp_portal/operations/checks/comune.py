"""A comune's checks: its configuration (texts, hours, keywords, privacy notice), its approved
templates, its municipal services; on a deployment serving several, each comune's number too
(bound, its token and app secret present and readable, its WABA id), each run in that comune's
scope and said with its name."""

from __future__ import annotations

from django.db.models import QuerySet

from .findings import Finding, _block, _ok, _warn


def check_municipality() -> list[Finding]:
    area = "Configurazione del comune"
    from urp_portal.municipality.errors import NoActiveMunicipality
    from urp_portal.municipality.selectors import municipality_get_active
    from urp_portal.municipality.states import ChannelMode, KeywordKind

    try:
        municipality = municipality_get_active()
    except NoActiveMunicipality:
        return [
            _block(
                area,
                "Nessuna configurazione del comune è attiva: caricane una "
                "(«python manage.py load_preset ...») o creala nel pannello.",
            )
        ]
    except Exception as exc:  # the database check reports the cause
        return [_block(area, f"Non verificabile: database non pronto ({type(exc).__name__}).")]
    found = [_ok(area, f"Configurazione attiva: {municipality.name}.")]
    two_way = municipality.mode != ChannelMode.BROADCAST_ONLY
    texts = {
        "welcome_text": "il messaggio di benvenuto",
        "privacy_notice_text": "l'informativa privacy",
        "unsubscribed_text": "la conferma della cancellazione",
        "official_channel_text": "il rinvio ai canali ufficiali",
    }
    if two_way:
        texts["out_of_hours_text"] = "la risposta fuori orario"
    if municipality.mode == ChannelMode.TWO_WAY_TEXT:
        texts["media_not_accepted_text"] = "la risposta a foto, vocali e video"
    if municipality.mode == ChannelMode.BROADCAST_ONLY:
        texts["broadcast_only_text"] = "la risposta a ogni messaggio (solo broadcast)"
    if municipality.identity_required:
        texts["identity_request_text"] = "la richiesta dei dati al primo contatto"
    for field, words in texts.items():
        if not getattr(municipality, field).strip():
            found.append(_block(area, f"Manca il testo: {words}."))
    if two_way and not list(municipality.office_slots.all()):
        found.append(_block(area, "Mancano gli orari del servizio."))
    kinds = {keyword.kind for keyword in municipality.keywords.all()}
    if KeywordKind.SUBSCRIBE not in kinds:
        found.append(_block(area, "Manca la parola per iscriversi (es. «Iscrivimi»)."))
    if KeywordKind.UNSUBSCRIBE not in kinds:
        found.append(_block(area, "Manca la parola per cancellarsi (es. «Cancellami»)."))
    if not list(municipality.broadcast_slots.all()):
        found.append(_warn(area, "Nessuna fascia per le liste broadcast: si invia solo a mano."))
    if not any(
        (
            municipality.channel_phone,
            municipality.channel_email,
            municipality.channel_pec,
            municipality.channel_web,
        )
    ):
        found.append(_warn(area, "Nessun altro canale del comune (telefono, email, PEC, sito)."))
    return found


def check_templates() -> list[Finding]:
    area = "Modelli di messaggio"
    from broadcasts.models import MessageTemplate
    from broadcasts.states import TemplateApproval

    try:
        approved = MessageTemplate.objects.filter(approval_status=TemplateApproval.APPROVED).count()
    except Exception as exc:  # the database check reports the cause
        return [_block(area, f"Non verificabile: database non pronto ({type(exc).__name__}).")]
    if not approved:
        return [
            _block(
                area,
                "Nessun modello approvato: le liste broadcast e le risposte dopo 24 ore "
                "non possono partire.",
            )
        ]
    return [_ok(area, f"Modelli approvati: {approved}.")]


def check_services() -> list[Finding]:
    area = "Servizi comunali"
    from tickets.models import MunicipalService

    try:
        services = list(MunicipalService.objects.values_list("name", "email"))
    except Exception as exc:  # the database check reports the cause
        return [_block(area, f"Non verificabile: database non pronto ({type(exc).__name__}).")]
    if not services:
        return [_warn(area, "Nessun servizio comunale: le richieste non si possono inoltrare.")]
    found = [_ok(area, f"Servizi comunali: {len(services)}.")]
    without_email = [name for name, email in services if not email]
    if without_email:
        found.append(
            _warn(area, f"Servizi senza email per gli inoltri: {', '.join(without_email)}.")
        )
    return found


def check_number() -> list[Finding]:
    """The running comune's WhatsApp number, on a deployment serving several: bound (the active
    comune may send from the deployment's own), its token and app secret present (its own,
    sealed, or the deployment's) and readable with URP_SECRETS_KEY, its WABA id for Meta."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from urp_portal.municipality.scope import current_comune
    from urp_portal.municipality.sealed import SealBroken, unseal
    from urp_portal.municipality.selectors import whatsapp_number_of

    area = "Numero WhatsApp"
    comune = current_comune()
    if comune is None:
        return []
    number = whatsapp_number_of(comune_id=comune.pk)
    if number is None:
        if comune.is_active and settings.WHATSAPP_PHONE_NUMBER_ID:
            return [
                _ok(area, "Usa il numero del servizio (WHATSAPP_PHONE_NUMBER_ID)."),
                *_own_number_portfolio(area),
            ]
        return [
            _block(
                area,
                "Nessun numero WhatsApp collegato: i messaggi dei cittadini non arrivano a "
                "questo comune («load_preset ... --comune ... --phone-number-id ...»).",
            )
        ]
    found = [_ok(area, f"Numero collegato: id {number.phone_number_id}.")]
    secrets = (
        ("il token di accesso", number.access_token_sealed, "WHATSAPP_ACCESS_TOKEN"),
        ("il segreto dell'app", number.app_secret_sealed, "WHATSAPP_APP_SECRET"),
    )
    for words, sealed, variable in secrets:
        if not sealed:
            if not getattr(settings, variable, ""):
                found.append(
                    _block(area, f"Manca {words}: né quello del numero né {variable} del servizio.")
                )
            continue
        try:
            unseal(sealed)
        except (SealBroken, ImproperlyConfigured):
            found.append(
                _block(
                    area,
                    f"{words.capitalize()} del numero non si apre con URP_SECRETS_KEY: "
                    "la chiave è cambiata senza «whatsapp_numbers_reseal»? Salvalo di nuovo.",
                )
            )
    if settings.WHATSAPP_GATEWAY == "meta" and not number.business_account_id:
        found.append(
            _warn(
                area,
                "Manca l'id dell'account WhatsApp Business (WABA) del numero: i modelli del "
                "comune non possono essere inviati a Meta né seguiti.",
            )
        )
    return found


def _own_number_portfolio(area: str) -> list[Finding]:
    """The active comune sending from the deployment's number while bound numbers name their
    business portfolio: without WHATSAPP_BUSINESS_PORTFOLIO_ID its sends are counted with its
    WABA's alone, though Meta may count them against a portfolio shared with other comuni."""
    from django.conf import settings

    from urp_portal.municipality.models import WhatsAppNumber

    if settings.WHATSAPP_GATEWAY != "meta" or settings.WHATSAPP_BUSINESS_PORTFOLIO_ID:
        return []
    if not WhatsAppNumber.objects.exclude(business_portfolio_id="").exists():
        return []
    return [
        _warn(
            area,
            "Manca WHATSAPP_BUSINESS_PORTFOLIO_ID: i numeri degli altri comuni indicano il loro "
            "portafoglio aziendale, quello del servizio no. Meta conta il limite di messaggi "
            "per portafoglio: se è lo stesso, i cittadini raggiunti da questo comune vanno "
            "contati con quelli degli altri, altrimenti le campagne possono superarlo.",
        )
    ]


def check_comune_templates() -> list[Finding]:
    """On a deployment serving several: an approved utility template of the comune (its WABA's),
    what its broadcasts and emergency alerts leave with."""
    from broadcasts.models import MessageTemplate
    from broadcasts.states import TemplateApproval, TemplateCategory

    area = "Modelli di messaggio"
    approved = MessageTemplate.objects.filter(approval_status=TemplateApproval.APPROVED)
    counts = {row["category"]: row["n"] for row in _counted_by_category(approved)}
    utility = counts.get(TemplateCategory.UTILITY, 0)
    if not utility:
        return [
            _block(
                area,
                "Nessun modello di servizio (utility) approvato nel suo account WhatsApp "
                f"Business (approvati di altre categorie: {sum(counts.values())}): le liste "
                "broadcast e gli avvisi di emergenza non possono partire.",
            )
        ]
    return [_ok(area, f"Modelli approvati: {sum(counts.values())}, di servizio: {utility}.")]


def _counted_by_category(queryset: QuerySet) -> QuerySet:
    from django.db.models import Count

    return queryset.order_by().values("category").annotate(n=Count("pk"))


COMUNE_CHECKS = [check_number, check_municipality, check_comune_templates, check_services]


def each_comune_findings() -> list[Finding]:
    """Every comune served, each in its own scope, each finding saying which comune it is
    about."""
    from dataclasses import replace

    from urp_portal.municipality.scope import comune_scope, comuni_served

    try:
        comuni = comuni_served()
    except Exception as exc:  # the database check reports the cause
        area = "Comuni serviti"
        return [_block(area, f"Non verificabili: database non pronto ({type(exc).__name__}).")]
    found: list[Finding] = []
    for comune in comuni:
        label = f"{comune.name} ({comune.slug})"
        with comune_scope(comune):
            for check in COMUNE_CHECKS:
                found.extend(replace(finding, comune=label) for finding in check())
    return found
