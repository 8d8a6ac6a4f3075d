from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import PolicyCategory


class ActionForm(forms.Form):
    """Every action names the rules broken (of the comune's own policy) and may say why."""

    categories = forms.ModelMultipleChoiceField(
        label=_("Regole della policy violate"),
        # Narrowed per form to the running comune's rules: a queryset built at import would
        # read outside any scope (README, many comuni).
        queryset=PolicyCategory.all_comuni.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Indica almeno una regola della policy violata.")},
    )
    note = forms.CharField(
        label=_("Nota"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Il motivo, per chi leggerà la storia. Non scrivere qui numeri o indirizzi."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["categories"].queryset = PolicyCategory.objects.all()  # type: ignore[attr-defined]


class BlockForm(ActionForm):
    ends_at = forms.DateTimeField(
        label=_("Fino al"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Vuoto: finché un moderatore sblocca."),
    )

    def clean_ends_at(self):
        ends_at = self.cleaned_data.get("ends_at")
        if ends_at is not None and ends_at <= timezone.now():
            raise forms.ValidationError(_("La fine del blocco deve essere nel futuro."))
        return ends_at


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Nota"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
