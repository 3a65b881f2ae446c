"""Re-run with edited arguments (issue 19.10): the form on a task's page.

The arguments are edited as JSON, {"args": [...], "kwargs": {...}}, starting from the run's
own with sensitive values shown as "***": a "***" left in place keeps the run's value (nobody
reads it, nobody has to retype it). The text is bounded (size, depth) and refused with a form
error when it is not JSON of that shape or holds a NUL or a lone surrogate; the jobs service
then checks it against the task's signature.
"""

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.jobs.selectors import SENSITIVE, redacted
from apps.text_input import poison_in, poison_message

MAX_CHARS = 64 * 1024
MAX_DEPTH = 20
HIDDEN = "***"


def arguments_text(run) -> str:
    """The run's arguments as the form shows them first (sensitive values hidden)."""
    shown = {"args": redacted(run.args), "kwargs": redacted(run.kwargs)}
    return json.dumps(shown, indent=2, ensure_ascii=False, default=str)


class RerunForm(forms.Form):
    arguments = forms.CharField(
        label=_("Arguments (JSON)"),
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false", "class": "font-mono"}),
        max_length=MAX_CHARS,
        strip=False,
        help_text=_(
            '{"args": [...], "kwargs": {...}}. A "***" left in place keeps the value the run had.'
        ),
    )

    def __init__(self, *args, run, **kwargs):
        self.run = run
        super().__init__(*args, **kwargs)

    def clean_arguments(self) -> tuple[list, dict]:
        try:
            value = json.loads(self.cleaned_data["arguments"], parse_constant=_no_constant)
        except (ValueError, RecursionError) as exc:
            error = _("This is not JSON: %(error)s") % {"error": exc}
            raise forms.ValidationError(error) from exc
        if _depth(value) > MAX_DEPTH:
            raise forms.ValidationError(_("Nested deeper than %(n)s levels.") % {"n": MAX_DEPTH})
        if (where := poison_in(value, "arguments")) is not None:
            raise forms.ValidationError(poison_message(where))
        if not isinstance(value, dict) or set(value) - {"args", "kwargs"}:
            raise forms.ValidationError(
                _('Write an object with "args" (a list) and "kwargs" (an object), nothing else.')
            )
        args, kwargs = value.get("args", []), value.get("kwargs", {})
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise forms.ValidationError(_('"args" must be a list and "kwargs" an object.'))
        return _kept(args, self.run.args), _kept(kwargs, self.run.kwargs)


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number the database keeps")


def _depth(value, level: int = 1) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max([level, *(_depth(v, level + 1) for v in value.values())])
    if isinstance(value, list):
        return max([level, *(_depth(v, level + 1) for v in value)])
    return level


def _kept(edited, original):
    """`edited` with each "***" under a sensitive key replaced by the original value there."""
    if isinstance(edited, dict) and isinstance(original, dict):
        return {
            key: original[key]
            if value == HIDDEN and key in original and _sensitive(key)
            else _kept(value, original.get(key))
            for key, value in edited.items()
        }
    if isinstance(edited, list) and isinstance(original, list):
        return [
            _kept(item, original[index]) if index < len(original) else item
            for index, item in enumerate(edited)
        ]
    return edited


def _sensitive(key) -> bool:
    return any(word in str(key).lower() for word in SENSITIVE)
