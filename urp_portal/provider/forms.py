from django import forms
from django.utils.translation import gettext_lazy as _

from urp_portal.accounts.forms import StaffAccountForm
from urp_portal.municipality.presets import PRESETS

PRESET_LABELS = {
    "cagliari": _("Cagliari (capoluogo, due vie)"),
    "assemini": _("Assemini (solo testo, identità al primo contatto)"),
    "ancona": _("Ancona (solo broadcast)"),
    "san_giuliano": _("San Giuliano Milanese (due vie, foto e vocali)"),
}


class _NumberFields(forms.Form):
    phone_number_id = forms.CharField(
        label=_("Id del numero (phone number id)"),
        max_length=64,
        help_text=_("Come lo mostra Meta nel WhatsApp Manager, ad esempio 106540352242922."),
    )
    business_account_id = forms.CharField(
        label=_("Id dell'account WhatsApp Business (WABA)"), max_length=64, required=False
    )
    business_portfolio_id = forms.CharField(
        label=_("Id del portafoglio aziendale (business portfolio)"),
        max_length=64,
        required=False,
        help_text=_(
            "Meta conta il limite di messaggi per portafoglio: i comuni dello stesso "
            "portafoglio lo condividono. Vuoto: conta l'account WhatsApp Business."
        ),
    )
    # Never rendered back: the stored value is sealed and stays unseen.
    access_token = forms.CharField(
        label=_("Token di accesso"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Vuoto: quello del servizio (o quello già salvato). Non viene mai mostrato."),
    )
    app_secret = forms.CharField(
        label=_("Segreto dell'app (app secret)"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Vuoto: quello del servizio (o quello già salvato). Non viene mai mostrato."),
    )


class ComuneCreateForm(_NumberFields):
    preset = forms.ChoiceField(
        label=_("Configurazione di partenza"),
        choices=[(slug, PRESET_LABELS.get(slug, slug)) for slug in PRESETS],
        help_text=_("Orari, parole chiave e testi da cui partire; il comune li cambia poi."),
    )
    slug = forms.SlugField(
        label=_("Codice del comune"),
        max_length=50,
        help_text=_("Lettere minuscole, cifre e trattini, ad esempio sestu."),
    )
    name = forms.CharField(label=_("Nome del comune"), max_length=120)
    display_number = forms.CharField(
        label=_("Numero WhatsApp (formato internazionale)"),
        max_length=20,
        required=False,
        help_text=_("Ad esempio +393290582872: quello che i cittadini vedono."),
    )

    field_order = ["preset", "slug", "name", "display_number"]


class NumberBindForm(_NumberFields):
    pass


# The first administrator is a staff account like any other (its role is given).
FirstAdministratorForm = StaffAccountForm
