"""Preview documents: the email as sent, its own dark styles, and a client's forced dark.

The three documents come from `apps.mail.qa.modes` (the contrast check measures the same
ones). Every document is shown in an `<iframe sandbox="">` (no scripts, no same-origin) and
carries a Content-Security-Policy of its own, so a template cannot run code or load anything but
images.
"""

import re

from apps.mail.qa.modes import forced_dark, light, own_dark, parse_colour

__all__ = ["PREVIEW_CSP", "forced_dark", "light", "own_dark", "parse_colour", "sandboxed"]

PREVIEW_CSP = "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'"
_CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{PREVIEW_CSP}">'
_HEAD = re.compile(r"<head[^>]*>", re.I)


def sandboxed(html: str) -> str:
    """The document with its CSP first in <head>, before anything it could load."""
    match = _HEAD.search(html)
    if match is None:
        return f"<head>{_CSP_META}</head>{html}"
    return html[: match.end()] + _CSP_META + html[match.end() :]
