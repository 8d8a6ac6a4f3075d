"""The console's forms, laid out with crispy-forms (bootstrap5 pack)."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth import get_user_model
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from urp_portal.accounts.roles import GROUP_NAMES, Role
from urp_portal.gateway.template_catalogue import ResolvedTemplate, templates_usable
from urp_portal.municipality.scope import ComuneScopedManager, owned_by_current

from .models import CannedAnswer, MunicipalService, ServiceKeywordRule
from .states import TicketCategory


def _choices_of_the_comune(form: forms.BaseForm) -> None:
    """The choices of a comune-owned model narrowed to the running scope's rows: a class-level
    queryset is built at import, outside any scope (and must not query then), so the fields
    declare `all_comuni` and each form, made inside its request, is narrowed here."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField) and field.queryset is not None:
            manager = field.queryset.model._default_manager
            if isinstance(manager, ComuneScopedManager):
                field.queryset = field.queryset.filter(owned_by_current(manager.owner_field))


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
        _choices_of_the_comune(self)
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
        queryset=CannedAnswer.all_comuni.filter(is_active=True),
        required=False,
        empty_label=_("— scrivi liberamente —"),
    )
    text = forms.CharField(
        label=_("Risposta"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": _("Scrivi al cittadino…")}),
    )
    # Not "template_name": that is the form's own rendering template. Only approved templates
    # are offered (the gateway's template catalogue); the service checks again at send time.
    template = forms.ChoiceField(
        label=_("Modello approvato"),
        required=False,
        help_text=_("Fuori dalla finestra di 24 ore WhatsApp accetta solo un modello approvato."),
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
        self.usable_templates: list[ResolvedTemplate] = []
        if not window_open:
            # Free text would be refused by WhatsApp (131047): the template comes first.
            for name in ("text", "canned_answer"):
                self.fields[name].disabled = True
            self.usable_templates = templates_usable()
            field = self.fields["template"]
            assert isinstance(field, forms.ChoiceField)
            field.required = True
            field.choices = [("", _("— scegli un modello —"))] + [
                (t.name, f"{t.name} ({t.language})") for t in self.usable_templates
            ]
            # One field per parameter: as many as the template with the most; the page shows
            # those of the chosen template, with the live preview.
            most = max((t.parameter_count for t in self.usable_templates), default=0)
            for n in range(1, most + 1):
                self.fields[f"parameter_{n}"] = forms.CharField(
                    label=_("Parametro {{%(n)d}}") % {"n": n},
                    required=False,
                    max_length=1024,
                    widget=forms.TextInput(attrs={"data-template-parameter": n}),
                )
        else:
            del self.fields["template"]

    def parameters(self) -> list[str]:
        chosen = next(
            (t for t in self.usable_templates if t.name == self.cleaned_data.get("template")),
            None,
        )
        count = chosen.parameter_count if chosen else 0
        return [str(self.cleaned_data.get(f"parameter_{n}") or "") for n in range(1, count + 1)]

    def templates_for_preview(self) -> list[dict[str, object]]:
        """What the page's live preview needs of each offered template."""
        return [
            {"name": t.name, "body": t.body, "parameters": t.parameter_count}
            for t in self.usable_templates
        ]


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
        label=_("Servizio competente"), queryset=MunicipalService.all_comuni.filter(is_active=True)
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
        queryset=MunicipalService.all_comuni.filter(is_active=True),
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


def _formfield_across_comuni(db_field, **kwargs):
    """A ModelForm's fields are made at import, outside any scope: a relation to a comune-owned
    model lists `all_comuni` there (no query at import), narrowed per form by
    _choices_of_the_comune."""
    manager = getattr(db_field.related_model, "all_comuni", None) if db_field.is_relation else None
    if manager is None or not db_field.many_to_one:
        return db_field.formfield(**kwargs)
    # Not db_field.formfield(): it builds its default queryset from the scoped manager first.
    return forms.ModelChoiceField(
        queryset=manager.all(),
        label=capfirst(db_field.verbose_name),
        required=not db_field.blank,
        help_text=db_field.help_text,
    )


class ServiceKeywordRuleForm(forms.ModelForm):
    class Meta:
        model = ServiceKeywordRule
        fields = ["service", "keyword", "weight"]
        formfield_callback = _formfield_across_comuni

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _choices_of_the_comune(self)

    def clean_keyword(self) -> str:
        # Matched against lower-case words of the citizen's text.
        return self.cleaned_data["keyword"].strip().lower()
