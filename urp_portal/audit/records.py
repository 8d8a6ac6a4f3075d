"""The records of processing activities (GDPR art. 30(1)) of the WhatsApp service, written from
the active comune's configuration and the deployment's settings: what changes there (media
accepted or not, identity asked or not, retention, the gateway) changes the register."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext as _

from urp_portal.gateway.adapters import get_adapter
from urp_portal.gateway.adapters.base import Processor
from urp_portal.municipality.errors import NoActiveMunicipality
from urp_portal.municipality.models import Municipality
from urp_portal.municipality.selectors import municipality_get_active
from urp_portal.municipality.states import ChannelMode

# A gateway for tests and training sends nothing outside the product.
NO_PROCESSOR = "Nessuno: simulatore interno (solo dimostrazione e formazione, mai in produzione)"
_NO_TRANSFERS = "Nessuno."


@dataclass
class Activity:
    name: str
    purposes: list[str]
    legal_basis: str
    data_subjects: list[str]
    categories: list[str]
    recipients: list[str]
    transfers: str
    retention: list[str]


@dataclass
class ProcessingRecords:
    municipality: Municipality
    controller_contacts: list[str]
    generated_at: object
    activities: list[Activity] = field(default_factory=list)
    security_measures: list[str] = field(default_factory=list)
    processor: str = ""


def _days(days: int) -> str:
    if days == 0:
        return _("nessuna conservazione: distrutti o resi anonimi subito")
    return _("%(days)s giorni") % {"days": days}


def _municipal_services() -> list[str]:
    # The services are the tickets app's; read by name so this ground module imports no app.
    try:
        model = apps.get_model("tickets", "MunicipalService")
    except LookupError:
        return []
    return list(model.objects.order_by("name").values_list("name", flat=True))


def processing_records(municipality: Municipality) -> ProcessingRecords:
    # The gateway's provider acts as processor (art. 28) on the comune's behalf; the adapter
    # names it.
    try:
        provider = get_adapter().processor
    except ImproperlyConfigured:
        provider = Processor(name=settings.WHATSAPP_GATEWAY, transfers=_("Da verificare."))
    contacts = [
        value
        for value in (
            municipality.channel_pec and _("PEC: %s") % municipality.channel_pec,
            municipality.channel_email and _("email: %s") % municipality.channel_email,
            municipality.channel_phone and _("telefono: %s") % municipality.channel_phone,
            municipality.channel_web and _("sito: %s") % municipality.channel_web,
        )
        if value
    ]
    services = _municipal_services()
    services_text = (
        _("servizi comunali a cui la richiesta è inoltrata (%(list)s)")
        % {"list": ", ".join(services)}
        if services
        else _("servizi comunali a cui la richiesta è inoltrata")
    )
    staff = _(
        "personale dell'URP autorizzato al trattamento (art. 29 e art. 2-quaterdecies "
        "del Codice privacy)"
    )
    if provider is None:
        processor_text = NO_PROCESSOR
        transfers = _NO_TRANSFERS
    else:
        processor_text = _("%(provider)s, responsabile del trattamento (art. 28)") % {
            "provider": provider.name
        }
        transfers = provider.transfers
    retention_messages = _("conversazioni chiuse, con foto e allegati: %(days)s") % {
        "days": _days(municipality.message_retention_days)
    }

    activities: list[Activity] = []
    if municipality.mode != ChannelMode.BROADCAST_ONLY:
        categories = [
            _("numero di telefono WhatsApp e nome del profilo"),
            _("contenuto dei messaggi scritti dal cittadino e delle risposte"),
        ]
        if municipality.mode == ChannelMode.TWO_WAY_MEDIA:
            categories.append(
                _("foto, note vocali, video e documenti inviati dal cittadino (fino a %(mb)s MB)")
                % {"mb": settings.URP_MEDIA_MAX_BYTES // (1024 * 1024)}
            )
        if municipality.identity_required:
            categories.append(_("nome, cognome e data di nascita chiesti al primo contatto"))
        categories.append(
            _(
                "eventuali categorie particolari di dati (art. 9) che il cittadino sceglie di "
                "scrivere: trattate solo se necessarie alla risposta"
            )
        )
        activities.append(
            Activity(
                name=_("Richieste e segnalazioni dei cittadini via WhatsApp"),
                purposes=[
                    _("rispondere alle richieste di informazioni e alle segnalazioni"),
                    _("inoltrarle al servizio comunale competente e seguirne la risposta"),
                    _("rispettare i termini di risposta (%(days)s giorni lavorativi)")
                    % {"days": municipality.answer_deadline_working_days},
                ],
                legal_basis=_(
                    "art. 6(1)(e) GDPR: esecuzione di un compito di interesse pubblico "
                    "(attività di comunicazione e relazioni con il pubblico, "
                    "L. 150/2000)"
                ),
                data_subjects=[_("cittadini e utenti che scrivono al numero del Comune")],
                categories=categories,
                recipients=[staff, services_text, processor_text],
                transfers=transfers,
                retention=[retention_messages],
            )
        )
    activities.append(
        Activity(
            name=_("Lista broadcast di informazioni di pubblica utilità"),
            purposes=[
                _("inviare comunicazioni e avvisi (anche di emergenza) a chi si è iscritto"),
            ],
            legal_basis=_(
                "art. 6(1)(a) GDPR: consenso, espresso scrivendo la parola di "
                "iscrizione e revocabile in ogni momento scrivendo quella di "
                "cancellazione"
            ),
            data_subjects=[_("cittadini iscritti alla lista")],
            categories=[
                _("numero di telefono WhatsApp, nome del profilo, stato dell'iscrizione"),
                _("registro dei consensi (pseudonimizzato) e versione dell'informativa letta"),
                _("esito di consegna e lettura dei messaggi inviati"),
            ],
            recipients=[_("personale della comunicazione del Comune"), processor_text],
            transfers=transfers,
            retention=[
                _("dati di chi si cancella: %(days)s")
                % {"days": _days(municipality.unsubscribed_data_retention_days)},
                _(
                    "registro dei consensi: conservato in forma pseudonima come prova del "
                    "consenso (art. 7(1))"
                ),
            ],
        )
    )
    activities.append(
        Activity(
            name=_("Moderazione e tutela del servizio"),
            purposes=[
                _(
                    "applicare la policy di utilizzo pubblicata (contenuti offensivi, spam, "
                    "dati personali di terzi)"
                ),
                _("conservare le prove per eventuali segnalazioni alle autorità"),
            ],
            legal_basis=_(
                "art. 6(1)(e) GDPR: compito di interesse pubblico; art. 6(1)(c) per "
                "le segnalazioni dovute"
            ),
            data_subjects=[_("cittadini i cui messaggi sono segnalati")],
            categories=[
                _("messaggi segnalati e motivi della segnalazione"),
                _("blocchi, avvertimenti e pacchetti di prove sigillati"),
            ],
            recipients=[_("moderatori del Comune"), _("autorità competenti, se segnalato")],
            transfers=_("Nessuno oltre al fornitore del canale."),
            retention=[retention_messages],
        )
    )
    activities.append(
        Activity(
            name=_("Registro degli accessi e sicurezza del servizio"),
            purposes=[
                _("sapere chi ha visto o modificato i dati dei cittadini (art. 32 GDPR)"),
            ],
            legal_basis=_("art. 6(1)(c) GDPR: obbligo di sicurezza del titolare (art. 32)"),
            data_subjects=[_("personale del Comune che usa la console")],
            categories=[
                _("nome utente, azione, oggetto, data e ora, indirizzo IP, browser"),
            ],
            recipients=[_("amministratori del servizio")],
            transfers=_("Nessuno."),
            retention=[_days(settings.URP_AUDIT_RETENTION_DAYS)],
        )
    )
    return ProcessingRecords(
        municipality=municipality,
        controller_contacts=contacts,
        generated_at=timezone.localtime(),
        activities=activities,
        processor=processor_text,
        security_measures=[
            _(
                "accesso alla console solo con credenziali personali e ruoli con i minimi "
                "privilegi (operatori, comunicazione, moderatori, servizi, amministratori)"
            ),
            _("il personale dei servizi vede solo le richieste inoltrate al proprio servizio"),
            _(
                "foto e allegati serviti solo a chi può vedere la richiesta, mai da un indirizzo "
                "pubblico"
            ),
            _(
                "registro degli accessi in sola aggiunta: chi ha aperto una conversazione, "
                "scaricato un allegato, esportato i dati di un cittadino, modificato dati"
            ),
            _(
                "registro dei consensi in sola aggiunta, con il numero sostituito da uno "
                "pseudonimo (HMAC) dopo la cancellazione"
            ),
            _(
                "connessioni cifrate (HTTPS con HSTS); webhook del fornitore verificati con firma "
                "HMAC"
            ),
            _(
                "cancellazione o anonimizzazione automatica alla scadenza dei termini di "
                "conservazione"
            ),
            _(
                "copie di sicurezza del database e degli allegati, con prova di ripristino "
                "(docs/operations.md)"
            ),
        ],
    )


def processing_records_for_active() -> ProcessingRecords | None:
    try:
        return processing_records(municipality_get_active())
    except NoActiveMunicipality:
        return None
