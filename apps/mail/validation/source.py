"""A whole version's source checked before it may be compiled: its MJML structure (layout and
body), its declared variables, then each text field as a template, every problem at its place."""

import re
from typing import TYPE_CHECKING

from ..bounds import capped
from ..exceptions import Problem, TemplateInvalidError
from .mjml import check_mjml
from .template_language import check_django
from .variables import check_declarations

if TYPE_CHECKING:
    from ..rendering import Source

# Where a layout takes the template's body.
CONTENT_TAG = re.compile(r"<mj-content\s*/>|<mj-content\s*>\s*</mj-content\s*>")
MAX_HTML_BYTES = 102 * 1024  # Gmail clips longer messages


def validate_source(source: "Source") -> None:
    """Raise `TemplateInvalidError` with every problem found (at most MAX_PROBLEMS listed)."""
    problems, parent = check_mjml(
        source.layout_mjml, field_name="layout", root_parent=None, layout=True
    )
    problems += check_mjml(source.mjml, field_name="mjml", root_parent=parent, layout=False)[0]
    problems += check_declarations(source.variables, source.sample_context)
    declared = set(source.variables) if isinstance(source.variables, list) else set()
    sample = source.sample_context if isinstance(source.sample_context, dict) else {}
    fields = {"subject": source.subject, "preheader": source.preheader, "mjml": source.mjml}
    if source.text_body.strip():
        fields["text_body"] = source.text_body
    for name, text in fields.items():
        problems += check_django(text, field_name=name, declared=declared, sample=sample)
    problems += check_django(source.layout_mjml, field_name="layout", declared=set(), sample={})
    if "\n" in source.subject:
        problems.append(Problem("subject", 1, 1, "the subject must be one line"))
    if problems:
        raise TemplateInvalidError(capped(problems))
