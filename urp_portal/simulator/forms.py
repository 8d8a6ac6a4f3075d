import phonenumbers
from django import forms
from django.utils.translation import gettext_lazy as _

from urp_portal.municipality.validators import WHATSAPP_TEXT_LIMIT

from .demo import SAMPLES


class CitizenMessageForm(forms.Form):
    number = forms.CharField(label=_("Numero del cittadino"), max_length=30)
    profile_name = forms.CharField(label=_("Nome del profilo"), max_length=200, required=False)
    text = forms.CharField(
        label=_("Messaggio"), max_length=WHATSAPP_TEXT_LIMIT, required=False, strip=True
    )
    # The comune's number written to: empty, the deployment's own; else a bound number's id.
    business_number = forms.CharField(max_length=64, required=False)
    sample = forms.ChoiceField(
        label=_("Allegato"),
        required=False,
        choices=[("", _("nessuno"))] + [(key, s.label) for key, s in SAMPLES.items()],
    )

    def clean_number(self) -> str:
        try:
            parsed = phonenumbers.parse(self.cleaned_data["number"], "IT")
        except phonenumbers.NumberParseException as exc:
            raise forms.ValidationError(
                _("Numero non valido: scrivilo come +39 320 555 0101."), code="invalid_phone"
            ) from exc
        if not phonenumbers.is_valid_number(parsed):
            raise forms.ValidationError(
                _("Questo numero non esiste nel piano di numerazione."), code="invalid_phone"
            )
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

    def clean_business_number(self) -> str:
        from .selectors import business_number_key, simulated_business_numbers

        # The deployment's own number by its id or by nothing: the same chat.
        key = business_number_key(self.cleaned_data.get("business_number", ""))
        if key not in {b.key for b in simulated_business_numbers()}:
            raise forms.ValidationError(_("Questo numero non è di nessun comune del servizio."))
        return key

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        if not cleaned.get("text") and not cleaned.get("sample"):
            raise forms.ValidationError(_("Scrivi un messaggio o scegli una foto o un vocale."))
        return cleaned
