"""Side-by-side differences between two template versions, field by field."""

import difflib
import json
import re
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

from apps.mail.models import EmailTemplateVersion

FIELDS = [
    ("subject", "Subject"),
    ("preheader", "Preheader"),
    ("mjml", "MJML body"),
    ("text_body", "Plain text"),
    ("variables", "Variables"),
    ("sample_context", "Sample data"),
    ("category", "Category"),
    ("layout_mjml", "Layout"),
]


# difflib's "next change" links column: the page folds unchanged fields instead.
_NEXT_LINKS = re.compile(r'<t[dh] class="diff_next"[^>]*>.*?</t[dh]>', re.S)


@dataclass(frozen=True)
class FieldDiff:
    """One field's lines before and after, as a difflib side-by-side table."""

    name: str
    label: str
    changed: bool
    table: SafeString


def _lines(value) -> list[str]:
    if not isinstance(value, str):
        value = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
    return value.splitlines() or [""]


def version_diff(*, old: EmailTemplateVersion, new: EmailTemplateVersion) -> list[FieldDiff]:
    """Every field of the two versions; unchanged ones are flagged so the page can fold them."""
    maker = difflib.HtmlDiff(tabsize=2)
    diffs = []
    for name, label in FIELDS:
        before, after = _lines(getattr(old, name)), _lines(getattr(new, name))
        # HtmlDiff escapes the text it lays out; the table is safe to show.
        table = maker.make_table(
            before, after, f"v{old.number}", f"v{new.number}", context=True, numlines=3
        )
        table = _NEXT_LINKS.sub("", table).replace("<colgroup></colgroup>", "", 2)
        diffs.append(FieldDiff(name, label, before != after, mark_safe(table)))
    return diffs
