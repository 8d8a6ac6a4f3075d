"""What a provider's error code means for a comune, in Italian, and what to do about it: shown in
a campaign's report and under a reply in the conversation, next to the number.

Meta's codes: developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
(131049: "not delivered to maintain healthy ecosystem engagement", per-user marketing limits,
never to be retried as such; 131050: the user stopped marketing messages). Twilio's: twilio.com/
docs/api/errors (63016: outside the 24-hour window)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ProviderErrorExplanation:
    code: str
    what: str | Promise
    what_to_do: str | Promise
    # Meta will refuse the same message again: the outbox never retries it.
    retry_useless: bool = True


_EXPLANATIONS = [
    ProviderErrorExplanation(
        "131047",
        _("Sono passate più di 24 ore dall'ultimo messaggio del cittadino."),
        _("Rispondere con un modello approvato."),
    ),
    ProviderErrorExplanation(
        "131049",
        _(
            "Meta ha trattenuto il messaggio promozionale per non stancare il cittadino, che ha "
            "già ricevuto altri messaggi promozionali di recente (limite per persona)."
        ),
        _(
            "Non si ritenta: Meta lo tratterrebbe di nuovo. Per le notizie di servizio usare un "
            "modello di categoria «servizio»; riprovare una campagna promozionale fra qualche "
            "giorno."
        ),
    ),
    ProviderErrorExplanation(
        "131050",
        _("Il cittadino ha chiesto a WhatsApp di non ricevere più messaggi promozionali."),
        _("Non inviargli campagne promozionali; i messaggi di servizio restano possibili."),
    ),
    ProviderErrorExplanation(
        "131026",
        _(
            "Messaggio non recapitabile: il numero non usa WhatsApp, ha un'app troppo vecchia "
            "o non ha accettato i termini di WhatsApp."
        ),
        _("Contattare il cittadino con un altro canale."),
    ),
    ProviderErrorExplanation(
        "131056",
        _("Troppi messaggi allo stesso cittadino in poco tempo."),
        _("Il prodotto riprova da solo più tardi, rallentando."),
        retry_useless=False,
    ),
    ProviderErrorExplanation(
        "130429",
        _("Il numero del comune ha superato la velocità di invio consentita da Meta."),
        _("Il prodotto riprova da solo; se accade spesso, ridurre WHATSAPP_RATE_PER_SECOND."),
        retry_useless=False,
    ),
    ProviderErrorExplanation(
        "131048",
        _(
            "Meta ha limitato gli invii del numero per la bassa qualità (molti blocchi o "
            "segnalazioni)."
        ),
        _(
            "Rivedere contenuto e frequenza delle campagne; controllare la qualità in "
            "WhatsApp Manager."
        ),
    ),
    ProviderErrorExplanation(
        "368",
        _("Il numero del comune è bloccato temporaneamente da Meta per violazione delle regole."),
        _(
            "Controllare gli avvisi in WhatsApp Manager e la politica di Meta prima di "
            "inviare ancora."
        ),
    ),
    ProviderErrorExplanation(
        "470",
        _("Messaggio fuori dalla finestra di 24 ore (codice delle vecchie API)."),
        _("Rispondere con un modello approvato."),
    ),
    ProviderErrorExplanation(
        "132000",
        _("Il numero dei parametri non corrisponde a quello del modello approvato."),
        _("Controllare i valori dei parametri della campagna o della risposta."),
    ),
    ProviderErrorExplanation(
        "132001",
        _("Il modello non esiste presso Meta in questa lingua, o non è ancora approvato."),
        _("Aggiornare gli stati dei modelli; se serve, inviarlo di nuovo in revisione."),
    ),
    ProviderErrorExplanation(
        "132015",
        _("Meta ha sospeso il modello per la sua bassa qualità."),
        _("Modificare il testo e inviarlo di nuovo in revisione, o usare un altro modello."),
    ),
    ProviderErrorExplanation(
        "132016",
        _("Meta ha disattivato il modello, sospeso troppe volte."),
        _("Creare un nuovo modello con un testo diverso."),
    ),
    ProviderErrorExplanation(
        "190",
        _("Il token di accesso di WhatsApp è scaduto o non è valido."),
        _("L'ufficio informatico deve aggiornare WHATSAPP_ACCESS_TOKEN."),
    ),
    ProviderErrorExplanation(
        "63016",
        _("Twilio: sono passate più di 24 ore dall'ultimo messaggio del cittadino."),
        _("Rispondere con un modello approvato."),
    ),
]

PROVIDER_ERRORS = {explanation.code: explanation for explanation in _EXPLANATIONS}


def provider_error_explain(code: str) -> ProviderErrorExplanation | None:
    return PROVIDER_ERRORS.get(str(code))
