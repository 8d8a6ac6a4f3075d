"""The four comuni of the public notices in shared/seeds/, as loadable configurations.

Each fact comes from the comune's notice. Where a notice is silent the preset says so in a
comment and uses the product's default rather than guessing.
"""

import datetime as dt
from dataclasses import dataclass, field

from .states import ChannelMode, ElsewhereHandling, FirstContactNotice, Weekday

MON, TUE, WED, THU, FRI = (
    Weekday.MONDAY,
    Weekday.TUESDAY,
    Weekday.WEDNESDAY,
    Weekday.THURSDAY,
    Weekday.FRIDAY,
)


@dataclass(frozen=True)
class Preset:
    values: dict
    office_slots: list[tuple[int, dt.time, dt.time]]
    subscribe_words: list[str]
    unsubscribe_words: list[str]
    broadcast_slots: list[tuple[int, dt.time]] = field(default_factory=list)


def _t(value: str) -> dt.time:
    return dt.time.fromisoformat(value)


def _weekdays(days, opens, closes):
    return [(day, _t(opens), _t(closes)) for day in days]


OUT_OF_HOURS = (
    "Grazie per averci scritto. L'URP su WhatsApp risponde {orari}: "
    "il suo messaggio è stato ricevuto e le risponderemo alla riapertura, {prossima_apertura}."
)
ALREADY_SUBSCRIBED = "Risulta già iscritto alla lista broadcast: non deve fare altro. Grazie!"
NOT_SUBSCRIBED = "Non risulta iscritto alla lista broadcast: non riceverà i nostri messaggi."
SURVEY_QUESTION = (
    "La sua richiesta è stata chiusa. Quanto è soddisfatto della risposta dell'URP? Scelga "
    "uno dei pulsanti qui sotto."
)
SURVEY_THANKS = (
    "Grazie per la sua valutazione. Se vuole, ci scriva ora in un messaggio un breve commento."
)
IDENTITY_REQUEST = (
    "Benvenuto nel servizio WhatsApp dell'URP. Prima di rispondere alla sua richiesta le chiediamo "
    "nome, cognome e data di nascita."
)

CAGLIARI = Preset(
    values={
        "name": "Comune di Cagliari",
        "whatsapp_number": "+393290582872",
        "mode": ChannelMode.TWO_WAY_MEDIA,
        "identity_required": False,
        # The notice gives no deadline: the product's default of two working days.
        "answer_deadline_working_days": 2,
        # Cagliari is the chief town: the province's patron day is its own (San Saturnino, 30/10).
        "holiday_province": "CA",
        "patron_saint": "San Saturnino",
        "patron_day": None,
        "patron_month": None,
        "channel_web": "https://www.comune.cagliari.it",
        "welcome_text": (
            "Benvenuto nel servizio WhatsApp del Comune di Cagliari, curato dall'Ufficio Relazioni "
            "con il Pubblico. Riceverà informazioni di pubblica utilità; può scriverci richieste e "
            "segnalazioni anche con immagini, messaggi vocali e piccoli video. Per cancellarsi "
            'scriva "Cancellami".'
        ),
        "privacy_notice_text": (
            "INFORMATIVA SUL TRATTAMENTO DEI DATI PERSONALI. Il titolare del trattamento è il "
            "Comune di Cagliari. I dati saranno trattati esclusivamente per l'esecuzione delle "
            "operazioni relative al servizio Whatsapp del Comune di Cagliari. A tal fine i dati "
            "potranno essere trasmessi a soggetti terzi che svolgono funzioni strettamente "
            "connesse e strumentali all'operatività del servizio. Il trattamento sarà effettuato "
            "attraverso l'utilizzazione di strumenti informatici, telematici o cartacei per i quali "
            "sono impiegate misure di sicurezza idonee a garantire la riservatezza e ad evitare "
            "l'accesso a soggetti non autorizzati. L'utilizzo del servizio Whatsapp del Comune di "
            "Cagliari da parte dell'utente rappresenta di per sé esplicita accettazione della "
            "Informativa sul trattamento dei dati personali."
        ),
        "already_subscribed_text": ALREADY_SUBSCRIBED,
        "unsubscribed_text": (
            "La sua cancellazione dalla lista broadcast del Comune di Cagliari è confermata."
        ),
        "not_subscribed_text": NOT_SUBSCRIBED,
        "first_contact_text": "",
        "identity_request_text": IDENTITY_REQUEST,
        "out_of_hours_text": OUT_OF_HOURS,
        "media_not_accepted_text": "",
        "broadcast_only_text": "",
        "official_channel_text": (
            "Per questa richiesta è necessario usare i canali ufficiali del Comune: {canali}."
        ),
        # "L'utilizzo del servizio [...] rappresenta di per sé esplicita accettazione della
        # Informativa": whoever uses it must have it from the first message.
        "first_contact_notice": FirstContactNotice.AT_FIRST_MESSAGE,
        "first_contact_notice_text": (
            "Il Comune di Cagliari tratta il suo numero e i suoi messaggi solo per il servizio "
            "WhatsApp dell'URP. L'utilizzo del servizio rappresenta accettazione "
            "dell'informativa sul trattamento dei dati personali: {link}"
        ),
        # The notice names no term: the deadline runs for the operators, unannounced.
        "acknowledgement_text": "",
        # "richieste e segnalazioni": Cagliari takes reports; access to records is not named, so
        # the operator is only told (a suggestion).
        "reports_handling": ElsewhereHandling.ACCEPTED,
        "records_access_handling": ElsewhereHandling.SUGGEST,
        # Not in the notice: the URP's directive asks for it; the comune turns it on.
        "satisfaction_survey_enabled": True,
        "satisfaction_question_text": SURVEY_QUESTION,
        "satisfaction_thanks_text": SURVEY_THANKS,
        "unsubscribed_data_retention_days": 0,
    },
    office_slots=_weekdays([MON, TUE, WED, THU, FRI], "09:00", "12:00")
    + _weekdays([MON, THU], "15:30", "17:30"),
    # The notice names no broadcast keywords: the product's defaults.
    subscribe_words=["Iscrivimi"],
    unsubscribe_words=["Cancellami"],
)

ASSEMINI = Preset(
    values={
        "name": "Comune di Assemini",
        "whatsapp_number": "+393387203109",
        "mode": ChannelMode.TWO_WAY_MEDIA,
        "identity_required": True,
        "answer_deadline_working_days": 2,
        # Not a chief town: the province's patron day (Cagliari's) is not Assemini's, and the
        # notice does not give Assemini's own, so none is set.
        "holiday_province": "",
        "patron_saint": "",
        "patron_day": None,
        "patron_month": None,
        "channel_phone": "800 195678 (numero verde)",
        "channel_email": "urp@comune.assemini.ca.it",
        "channel_pec": "protocollo@pec.comune.assemini.ca.it",
        "welcome_text": (
            "Benvenuto nella lista broadcast del Comune di Assemini: riceverà informazioni di "
            "pubblica utilità o d'emergenza (orari degli uffici, emergenze, eventi, viabilità, "
            "scadenze). Nessun iscritto può vedere i contatti altrui. Può cancellarsi in qualsiasi "
            'momento scrivendo "Cancellami".'
        ),
        "privacy_notice_text": (
            "INFORMATIVA AI SENSI DEL REGOLAMENTO (UE) 2016/679. Titolare del trattamento è il "
            "Comune di Assemini, Piazza Repubblica 1, 09032 Assemini. Finalità: inviare via "
            "WhatsApp comunicazioni di carattere informativo a chi ne fa esplicita richiesta. Il "
            "dato è conservato finché l'interessato non chiede di cancellarsi; una volta "
            "cancellatosi, il dato personale sarà distrutto o reso anonimo. Il conferimento è "
            "obbligatorio per ricevere gli avvisi. Cancellazione: in qualsiasi momento con un "
            'messaggio "Cancellami". I dati sono trattati da dipendenti autorizzati e non sono '
            "trasferiti fuori dall'Unione Europea. Diritti (accesso, cancellazione, rettifica, "
            "integrazione, limitazione): telefono 070949252, Piazza Repubblica n. 1, PEC "
            "protocollo@pec.comune.assemini.ca.it. È possibile proporre reclamo all'Autorità di "
            "controllo. L'utilizzo del servizio rappresenta accettazione dell'informativa."
        ),
        "already_subscribed_text": ALREADY_SUBSCRIBED,
        "unsubscribed_text": (
            "La sua cancellazione dalla lista è confermata: i suoi dati personali saranno "
            "distrutti o resi anonimi. Restiamo comunque a disposizione per singole informazioni."
        ),
        "not_subscribed_text": NOT_SUBSCRIBED,
        "first_contact_text": (
            "Può iscriversi alla lista broadcast del Comune, per ricevere informazioni di pubblica "
            'utilità o d\'emergenza, inviando il testo "Iscrivimi" e accettando le policy del '
            "servizio. Se preferisce non iscriversi restiamo comunque a disposizione."
        ),
        "identity_request_text": IDENTITY_REQUEST,
        "out_of_hours_text": OUT_OF_HOURS,
        "media_not_accepted_text": "",
        "broadcast_only_text": "",
        "official_channel_text": (
            "Il servizio WhatsApp dà informazioni sui servizi comunali e sull'attività "
            "amministrativa: segnalazioni, richieste di accesso agli atti e domande ai singoli "
            "uffici vanno inviate attraverso gli altri canali: {canali}."
        ),
        # "L'utilizzo del servizio [...] rappresenta di per sé esplicita accettazione": the
        # notice comes first, before the identity questions take name and date of birth.
        "first_contact_notice": FirstContactNotice.AT_FIRST_MESSAGE,
        "first_contact_notice_text": (
            "Il Comune di Assemini (titolare del trattamento) tratta i dati che ci invia per "
            "rispondere alle sue richieste, nei suoi compiti di interesse pubblico. L'utilizzo "
            "del servizio rappresenta accettazione dell'informativa completa: {link}"
        ),
        # "comunque non oltre i due giorni lavorativi": said to the citizen.
        "acknowledgement_text": (
            "Abbiamo ricevuto la sua richiesta: le risponderemo entro {scadenza}."
        ),
        # "Il Servizio non funziona [...] per inviare segnalazioni o richieste di accesso agli
        # atti, per i quali è necessario utilizzare gli altri canali".
        "reports_handling": ElsewhereHandling.REDIRECT,
        "records_access_handling": ElsewhereHandling.REDIRECT,
        "satisfaction_survey_enabled": True,
        "satisfaction_question_text": SURVEY_QUESTION,
        "satisfaction_thanks_text": SURVEY_THANKS,
        "unsubscribed_data_retention_days": 0,
    },
    office_slots=_weekdays([MON, TUE, WED, THU, FRI], "08:30", "13:00")
    + _weekdays([MON, WED], "16:00", "18:00"),
    subscribe_words=["Iscrivimi"],
    unsubscribe_words=["Cancellami"],
)

ANCONA = Preset(
    values={
        "name": "Comune di Ancona",
        "whatsapp_number": "+393667695184",
        # "esclusivamente la chat testuale": a text-only virtual desk.
        "mode": ChannelMode.TWO_WAY_TEXT,
        "identity_required": False,
        "answer_deadline_working_days": 2,
        # Ancona is the chief town: San Ciriaco (4 May) comes with the province.
        "holiday_province": "AN",
        "patron_saint": "San Ciriaco",
        "patron_day": None,
        "patron_month": None,
        "channel_app": 'Canale WhatsApp "Comune di Ancona" (https://bit.ly/WhatsApp_Comune_di_Ancona)',
        "welcome_text": (
            'Benvenuto in "URP su WhatsApp", lo sportello virtuale del Comune di Ancona curato '
            "dall'Ufficio Comunicazione e Rapporti con i Cittadini. Con l'iscrizione autorizza il "
            "Comune a trasmetterle informazioni tramite WhatsApp. La invitiamo a leggere "
            "l'informativa sul trattamento dei dati personali che le inviamo qui di seguito e che "
            'si intende accettata con l\'iscrizione. Per cancellarsi scriva "Cancellami".'
        ),
        "privacy_notice_text": (
            "INFORMATIVA SUL TRATTAMENTO DEI DATI PERSONALI (Regolamento UE 2016/679). Titolare del "
            "trattamento è il Comune di Ancona. Il numero di telefono e i messaggi sono trattati "
            "dall'Ufficio Comunicazione e Rapporti con i Cittadini - U.R.P. per rispondere alle "
            "richieste di informazioni e trasmettere messaggi di pubblica utilità, in modo che "
            "nessun utente possa vedere i contatti altrui. Può cancellarsi in ogni momento "
            'scrivendo "Cancellami" ed esercitare i diritti di accesso, rettifica, cancellazione '
            "e limitazione rivolgendosi all'URP."
        ),
        "already_subscribed_text": ALREADY_SUBSCRIBED,
        "unsubscribed_text": 'La sua cancellazione dallo sportello "URP su WhatsApp" è confermata.',
        "not_subscribed_text": NOT_SUBSCRIBED,
        "first_contact_text": "",
        "identity_request_text": IDENTITY_REQUEST,
        "out_of_hours_text": OUT_OF_HOURS,
        "media_not_accepted_text": (
            'Lo sportello "URP su WhatsApp" accetta esclusivamente messaggi di testo: ci scriva la '
            "sua richiesta a parole, grazie."
        ),
        "broadcast_only_text": "",
        "official_channel_text": (
            "Attraverso WhatsApp non si ricevono segnalazioni (art. 3 del Disciplinare sulla "
            "gestione dei reclami, suggerimenti, segnalazioni dei cittadini): la invitiamo a usare "
            "posta elettronica, telefono, il sistema automatico delle segnalazioni o lo sportello."
        ),
        # The policy's notice is "inviata contestualmente" to whoever joins the desk; one who
        # only asks gets it with the desk's first answer.
        "first_contact_notice": FirstContactNotice.WITH_FIRST_REPLY,
        "first_contact_notice_text": (
            "Informativa: il Comune di Ancona tratta il suo numero e i suoi messaggi per "
            'rispondere alle richieste di informazioni dello sportello "URP su WhatsApp". '
            "L'informativa completa sul trattamento dei dati personali: {link}"
        ),
        "acknowledgement_text": "",
        # "I cittadini che inoltrano le segnalazioni attraverso Whatsapp saranno dirottati verso
        # le modalita previste dall'art. 3 dal Disciplinare".
        "reports_handling": ElsewhereHandling.REDIRECT,
        "records_access_handling": ElsewhereHandling.SUGGEST,
        "satisfaction_survey_enabled": True,
        "satisfaction_question_text": SURVEY_QUESTION,
        "satisfaction_thanks_text": SURVEY_THANKS,
        "unsubscribed_data_retention_days": 0,
    },
    office_slots=_weekdays([MON, TUE, WED, THU, FRI], "09:00", "13:00")
    + _weekdays([TUE, THU], "15:00", "17:00"),
    subscribe_words=["Iscrivimi"],
    unsubscribe_words=["Cancellami"],
)

SAN_GIULIANO = Preset(
    values={
        "name": "Comune di San Giuliano Milanese",
        "whatsapp_number": "+393384706151",
        "mode": ChannelMode.BROADCAST_ONLY,
        "identity_required": False,
        "answer_deadline_working_days": 2,
        # Not a chief town: Milan's Sant'Ambrogio is not San Giuliano's holiday.
        "holiday_province": "",
        "patron_saint": "",
        "patron_day": None,
        "patron_month": None,
        "channel_app": "app Municipium",
        "welcome_text": (
            'Benvenuto in "San Giuliano Whatsapp"! Due volte alla settimana riceverà '
            "informazioni di pubblica utilità e aggiornamenti su servizi comunali, trasporti e "
            "viabilità, eventi e allerta meteo. I messaggi arrivano tramite liste broadcast: "
            "nessuno può vedere il suo numero. Ricordi di salvare questo numero in rubrica, "
            "altrimenti non riceverà i messaggi."
        ),
        "privacy_notice_text": (
            "L'informativa privacy e i termini di utilizzo del servizio sono pubblicati sul sito "
            "del Comune di San Giuliano Milanese. Il suo numero è usato solo per inviarle i "
            'messaggi del servizio. Per non riceverli più scriva "DISATTIVA".'
        ),
        "already_subscribed_text": ALREADY_SUBSCRIBED,
        "unsubscribed_text": 'Il servizio "San Giuliano Whatsapp" è disattivato per questo numero.',
        "not_subscribed_text": NOT_SUBSCRIBED,
        "first_contact_text": "",
        "identity_request_text": IDENTITY_REQUEST,
        "out_of_hours_text": "",
        "media_not_accepted_text": "",
        "broadcast_only_text": (
            'Questo numero invia soltanto le informazioni del servizio "San Giuliano Whatsapp" e '
            "non riceve messaggi né telefonate. Per comunicare con il Comune o inviare "
            "segnalazioni usi i canali tradizionali: telefono, email e app Municipium. Per "
            'ricevere le informazioni scriva "ATTIVA".'
        ),
        "official_channel_text": "",
        # No desk: the redirect names the website, where the notice is published ("Sul sito del
        # Comune è possibile consultare l'informativa privacy"); the welcome carries it too.
        "first_contact_notice": FirstContactNotice.OFF,
        "first_contact_notice_text": "",
        "acknowledgement_text": "",
        "reports_handling": ElsewhereHandling.ACCEPTED,
        "records_access_handling": ElsewhereHandling.ACCEPTED,
        "satisfaction_survey_enabled": False,
        "unsubscribed_data_retention_days": 0,
    },
    # A broadcast-only number has no desk, so no office hours.
    office_slots=[],
    subscribe_words=["ATTIVA"],
    # The notice gives no word to leave; consent must be as easy to withdraw as to give (GDPR
    # art. 7(3)), so the product adds the natural opposite and the common "Cancellami".
    unsubscribe_words=["DISATTIVA", "Cancellami"],
    # "due volte alla settimana": the notice names no days; Tuesday and Friday mornings until the
    # comune sets its own.
    broadcast_slots=[(TUE, _t("10:00")), (FRI, _t("10:00"))],
)

PRESETS: dict[str, Preset] = {
    "cagliari": CAGLIARI,
    "assemini": ASSEMINI,
    "ancona": ANCONA,
    "san_giuliano": SAN_GIULIANO,
}
