"""Size and clipping: Gmail cuts an email's HTML after 102 KB ("[Message clipped]")."""

from ..validation import MAX_HTML_BYTES
from .findings import ERROR, INFO, WARNING, Finding

WARN_SHARE = 0.8  # close enough to the clip that a longer name or list could cross it


def check_size(html: str) -> list[Finding]:
    size = len(html.encode())
    limit = MAX_HTML_BYTES
    figures = f"{size / 1024:.1f} KB of HTML; Gmail clips at {limit // 1024} KB"
    if size > limit:
        return [
            Finding(
                "size",
                ERROR,
                f"{figures}: Gmail cuts the email, its footer (and "
                "unsubscribe link) included, behind “[Message clipped]”",
            )
        ]
    if size > WARN_SHARE * limit:
        return [
            Finding(
                "size",
                WARNING,
                f"{figures}: within {100 - 100 * size // limit}% "
                "of the clip; longer data could cross it",
            )
        ]
    return [Finding("size", INFO, figures)]
