"""The console's forms, laid out with crispy-forms (bootstrap5 pack)."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from urp_portal.accounts.roles import GROUP_NAMES, Role

from .models import CannedAnswer, MunicipalService, ServiceKeywordRule
from .states import TicketCategory


class ConsoleForm(forms.Form):
    """A form of the conversation page: it posts its `action` and carries its own button."""

    action_name = ""
    button_label = _("Salva")
    button_css = "btn btn-primary"

    op = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        # Several forms share one page: their field ids must not collide.
        kwargs.setdefault("auto_id", f"id_{self.action_name}_%s")
        super().__init__(*args, **kwargs)
        self.fields["op"].initial = self.action_name
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_class = f"console-form console-form-{self.action_name}"
        self.helper.form_id = f"form-{self.action_name}"
        button = Submit("submit", self.button_label, css_id=f"submit-{self.action_name}")
        # Crispy's default classes would make every button primary.
        button.field_classes = self.button_css
        self.helper.add_input(button)


class ReplyForm(ConsoleForm):
    action_name = "reply"
    button_label = _("Invia")

    canned_answer = forms.ModelChoiceField(
        label=_("Risposta predefinita"),
        queryset=CannedAnswer.objects.filter(is_active=True),
        required=False,
        empty_label=_("— scrivi liberamente —"),
    )
    text = forms.CharField(
        label=_("Risposta"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": _("Scrivi al cittadino…")}),
    )
    # Not "template_name": that is the form's own rendering template.
    template = forms.CharField(
        label=_("Modello approvato"),
        required=False,
        help_text=_("Fuori dalla finestra di 24 ore WhatsApp accetta solo un modello approvato."),
    )
    template_parameters = forms.CharField(
        label=_("Parametri del modello"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Uno per riga, nell'ordine del modello."),
    )
    wait_for_citizen = forms.BooleanField(
        label=_("Attendi la risposta del cittadino"), required=False
    )
    # The last message on the screen when the reply was written (moved on by the live updates
    # while the reply box is empty): a message after it asks "send anyway?" (issue 20).
    seen_message = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=0)

    def __init__(
        self, *args, window_open: bool = True, seen_message: int | None = None, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["seen_message"].initial = seen_message
        if not window_open:
            # Free text would be refused by WhatsApp (131047): the template comes first.
            for name in ("text", "canned_answer"):
                self.fields[name].disabled = True
            self.fields["template"].required = True
        else:
            del self.fields["template"]
            del self.fields["template_parameters"]

    def parameters(self) -> list[str]:
        raw = self.cleaned_data.get("template_parameters") or ""
        return [line.strip() for line in raw.splitlines() if line.strip()]


class NoteForm(ConsoleForm):
    action_name = "note"
    button_label = _("Aggiungi nota")
    button_css = "btn btn-secondary"

    note = forms.CharField(
        label=_("Nota interna"),
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("Visibile solo al personale")}),
    )


def urp_users():
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            groups__name__in=[GROUP_NAMES[Role.OPERATOR], GROUP_NAMES[Role.ADMINISTRATOR]],
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class _UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class AssignForm(ConsoleForm):
    action_name = "assign"
    button_label = _("Assegna")
    button_css = "btn btn-secondary"

    assignee = _UserChoice(label=_("Assegna a"), queryset=urp_users(), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        assignee = self.fields["assignee"]
        assert isinstance(assignee, forms.ModelChoiceField)
        assignee.queryset = urp_users()


class ForwardForm(ConsoleForm):
    action_name = "forward"
    button_label = _("Inoltra")
    button_css = "btn btn-warning"

    service = forms.ModelChoiceField(
        label=_("Servizio competente"), queryset=MunicipalService.objects.filter(is_active=True)
    )
    note = forms.CharField(
        label=_("Nota per il servizio"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CategoryForm(ConsoleForm):
    action_name = "category"
    button_label = _("Salva")
    button_css = "btn btn-secondary"

    category = forms.ChoiceField(
        label=_("Categoria"), choices=[("", "—"), *TicketCategory.choices], required=False
    )
    service = forms.ModelChoiceField(
        label=_("Servizio"),
        queryset=MunicipalService.objects.filter(is_active=True),
        required=False,
    )


class ServiceAnswerForm(ConsoleForm):
    action_name = "service_answer"
    button_label = _("Invia all'URP")

    answer = forms.CharField(
        label=_("Risposta del servizio"), widget=forms.Textarea(attrs={"rows": 4})
    )
    send_to_citizen = forms.BooleanField(label=_("Invia direttamente al cittadino"), required=False)

    def __init__(self, *args, may_send_directly: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not may_send_directly:
            del self.fields["send_to_citizen"]


class ServiceKeywordRuleForm(forms.ModelForm):
    class Meta:
        model = ServiceKeywordRule
        fields = ["service", "keyword", "weight"]

    def clean_keyword(self) -> str:
        # Matched against lower-case words of the citizen's text.
        return self.cleaned_data["keyword"].strip().lower()
