from django import forms
from django.utils.translation import gettext_lazy as _

from .roles import Role


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


class StaffAccountForm(forms.Form):
    """A new console account: who the person is and where the invitation link goes."""

    username = forms.CharField(label=_("Nome utente"), max_length=150)
    first_name = forms.CharField(label=_("Nome"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Cognome"), max_length=150, required=False)
    email = forms.EmailField(
        label=_("Email"),
        required=False,
        help_text=_("Riceve il collegamento per scegliere la password."),
    )


class StaffInviteForm(StaffAccountForm):
    role = forms.ChoiceField(label=_("Ruolo"), choices=Role.choices)


class StaffAddForm(forms.Form):
    username = forms.CharField(
        label=_("Nome utente"),
        max_length=150,
        help_text=_("Un account che esiste già nel servizio (ad esempio di un altro comune)."),
    )


class StaffRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Ruolo"), choices=Role.choices)
