"""Forms of the studio: the template and layout editors, the test-send and suppression forms."""

import json

from django import forms
from django.db.models import Q
from django.forms.models import construct_instance
from django.utils.translation import gettext_lazy as _
from unfold.forms import BaseDialogForm
from unfold.widgets import (
    UnfoldAdminEmailInputWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
)

from apps.mail.bounds import data_problems, json_text_problem
from apps.mail.exceptions import Problem, TemplateInvalidError, folded
from apps.mail.models import EmailLayout, EmailTemplate, EmailTemplateTranslation, Suppression
from apps.mail.services import default_language, template_active_version, template_validate
from apps.mail.template_fields import DATA_FIELDS, TRANSLATION_FIELDS

from .services import test_languages, test_recipients

CODEMIRROR = "console/codemirror/"


class CodeEditor(forms.Textarea):
    """A textarea that the studio script turns into a CodeMirror editor with line numbers."""

    def __init__(self, mode: str, attrs: dict | None = None):
        super().__init__(attrs={"data-code-editor": mode, "rows": 12, **(attrs or {})})

    class Media:
        css = {"all": [CODEMIRROR + "codemirror.css", "console/studio.css"]}
        js = [
            "/jsi18n/",  # gettext() for studio.js: the console's strings go through i18n
            CODEMIRROR + "codemirror.js",
            CODEMIRROR + "mode/xml/xml.js",
            CODEMIRROR + "mode/javascript/javascript.js",
            "console/studio.js",
        ]


def json_problem(field: str, text: str, error: json.JSONDecodeError) -> Problem:
    return Problem(field, error.lineno, error.colno, f"not valid JSON: {error.msg}")


def parse_json(field: str, text: str, kind: type):
    """The JSON in a field, or a `TemplateInvalidError` pointing at the line and column.

    Too long or too deep JSON is refused before it is parsed (the parser recurses per level).
    """
    if problem := json_text_problem(text, field_name=field):
        raise TemplateInvalidError([problem])
    try:
        value = json.loads(text) if text.strip() else kind()
    except json.JSONDecodeError as error:
        raise TemplateInvalidError([json_problem(field, text, error)]) from error
    if not isinstance(value, kind):
        name = "a list of names" if kind is list else "an object"
        raise TemplateInvalidError([Problem(field, 1, 1, f"must be {name}")])
    if problems := data_problems(value, field_name=field, text=text):
        raise TemplateInvalidError(problems)
    return value


def unix_newlines(text: str) -> str:
    """Browsers post textareas with CRLF line ends; MJML's parser wants LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def where(problem: Problem) -> str:
    return f"line {problem.line}, column {problem.column}: {problem.message}"


def add_problems(form: forms.Form, problems: list[Problem], field_map: dict | None = None) -> None:
    """Each cause as a form error on its field, saying line and column; the problems a cause
    brings (a typo's consequences) are counted after it, not listed."""
    for problem, consequences in folded(problems):
        field = (field_map or {}).get(problem.field, problem.field)
        field = field if field in form.fields else None
        label = "" if field else f"{problem.field}, "
        more = len(consequences)
        tail = f" ({more} more problem{'s' if more > 1 else ''} follow from it)" if more else ""
        form.add_error(field, label + where(problem) + tail)


class JSONText(forms.CharField):
    """JSON edited as text, so that a syntax error can say where it is."""

    def __init__(self, kind: type, **kwargs):
        self.kind = kind
        super().__init__(
            required=False, strip=False, widget=CodeEditor("json", {"rows": 6}), **kwargs
        )

    def prepare_value(self, value):
        if isinstance(value, list | dict):
            return json.dumps(value, indent=2, ensure_ascii=False)
        return value


class ValidatedAsTemplate:
    """A ModelForm whose instance, with the cleaned values applied, must validate as an email
    template (its own or its translation's): problems land on their fields; nothing invalid is
    saved."""

    def clean_mjml(self):
        return unix_newlines(self.cleaned_data["mjml"])

    def clean_text_body(self):
        return unix_newlines(self.cleaned_data["text_body"])

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:  # the instance as saving would make it (Django applies the same values later)
            template_validate(template=construct_instance(self, self.instance))
        except TemplateInvalidError as error:
            add_problems(self, error.problems)
        return cleaned


class TemplateEditorForm(ValidatedAsTemplate, forms.ModelForm):
    """The template editor: the engine validates everything; nothing invalid is saved."""

    variables = JSONText(list, label=_("Declared variables"), help_text=_("A JSON list of names."))
    sample_context = JSONText(
        dict, label=_("Sample data"), help_text=_("JSON used by the preview.")
    )

    class Meta:
        model = EmailTemplate
        fields = ["key", "name", "category", "layout", *TRANSLATION_FIELDS, *DATA_FIELDS]
        widgets = {"mjml": CodeEditor("xml", {"rows": 28})}
        labels = {"mjml": _("MJML body")}
        help_texts = {
            "mjml": _(
                "The sections placed in the layout's content slot; problems show at their line."
            )
        }

    def clean_variables(self):
        return self._json("variables", list)

    def clean_sample_context(self):
        return self._json("sample_context", dict)

    def _json(self, name: str, kind: type):
        try:
            return parse_json(name, self.cleaned_data.get(name) or "", kind)
        except TemplateInvalidError as error:
            raise forms.ValidationError(where(error.problems[0])) from error


class TranslationEditorForm(ValidatedAsTemplate, forms.ModelForm):
    """A template in another language: validated with the template's layout, variables and
    sample data; nothing invalid is saved."""

    class Meta:
        model = EmailTemplateTranslation
        fields = ["template", "language", "subject", "preheader", "mjml", "text_body"]
        widgets = {"mjml": CodeEditor("xml", {"rows": 28})}
        labels = {"mjml": _("MJML body")}

    def clean_language(self):
        language = self.cleaned_data["language"]
        if language == default_language():
            raise forms.ValidationError(_("The default language is the template itself."))
        return language


def templates_in(layout: EmailLayout) -> list[EmailTemplate]:
    """The templates placed in a layout (the default one holds those without a layout)."""
    placed = Q(layout_id=layout.pk) if layout.pk else Q(pk__in=[])
    if layout.is_default:
        placed |= Q(layout__isnull=True)
    return list(EmailTemplate.objects.filter(placed))


class LayoutEditorForm(forms.ModelForm):
    """The layout editor: a layout is valid only if every template placed in it still is."""

    class Meta:
        model = EmailLayout
        fields = ["key", "name", "mjml", "is_default"]
        widgets = {"mjml": CodeEditor("xml", {"rows": 32})}
        labels = {"mjml": _("MJML")}
        help_texts = {
            "mjml": _("A full MJML document; each template goes where the content tag is.")
        }

    def clean_mjml(self):
        return unix_newlines(self.cleaned_data["mjml"])

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        layout = construct_instance(self, self.instance)
        for template in templates_in(layout):
            template.layout = layout
            try:
                template_validate(template=template)
            except TemplateInvalidError as error:
                problems = [
                    p
                    if p.field == "layout"
                    else Problem("template", p.line, p.column, f"[{template.key}] {p.message}")
                    for p in error.problems
                ]
                add_problems(self, problems, {"layout": "mjml"})
                break
        return cleaned


class TestSendForm(BaseDialogForm):
    """Where to send a test of the saved version, and with which data."""

    to = forms.ChoiceField(label=_("Send to"), widget=UnfoldAdminSelectWidget)
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,  # the template's own
        widget=UnfoldAdminSelectWidget,
        help_text=_("The version sent: the template's own, or one of its translations."),
    )
    context = forms.CharField(
        label=_("Data (JSON)"),
        required=False,
        strip=False,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 8, "class": "font-mono text-xs"}),
        help_text=_("The sample data of the active version; edit it to test other values."),
    )

    def __init__(self, request, object_id=None, *args, **kwargs):
        super().__init__(request, object_id, *args, **kwargs)
        self.fields["to"].choices = [(a, a) for a in test_recipients(user=request.user)]
        template = EmailTemplate.objects.filter(pk=object_id).first() if object_id else None
        self.fields["language"].choices = test_languages(template=template)
        if template and template.active_version_id and not self.is_bound:
            sample = template_active_version(key=template.key).sample_context
            self.fields["context"].initial = json.dumps(sample, indent=2, ensure_ascii=False)

    def clean_context(self):
        text = self.cleaned_data.get("context") or ""
        if not text.strip():
            return None
        try:
            return parse_json("context", text, dict)
        except TemplateInvalidError as error:
            raise forms.ValidationError(where(error.problems[0])) from error


class SuppressionForm(forms.ModelForm):
    class Meta:
        model = Suppression
        fields = ["address", "note"]
        widgets = {"address": UnfoldAdminEmailInputWidget, "note": UnfoldAdminTextInputWidget}
