from django import forms
from django.utils.translation import gettext_lazy as _


class TotpTokenForm(forms.Form):
    token = forms.RegexField(
        label=_("Codice di verifica"),
        regex=r"^\s*\d{6}\s*$",
        max_length=8,
        error_messages={"invalid": _("Il codice è di 6 cifre.")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "size": 8,
            }
        ),
        help_text=_("Le 6 cifre che l'app di autenticazione mostra ora."),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].strip()
