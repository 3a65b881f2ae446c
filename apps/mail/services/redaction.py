"""What staff may see of a sent email: the email as sent, with no usable secret or signed link."""

from ..models import ESSENTIAL_CATEGORIES, OutboundEmail
from ..rendering import Rendered
from ..secrets import MASK, masked
from .personalize import render_for

# Signed links the engine adds for each recipient: usable by whoever reads them.
SIGNED_LINKS = ("unsubscribe_url", "preferences_url")


def email_as_sent(*, email: OutboundEmail) -> Rendered:
    """The email rendered as its recipient got it, secret values and signed links as `•••`.

    Raises `ValueError` when the email has no version yet (it was never rendered).
    """
    if email.version_id is None:
        raise ValueError("the email has no version yet")
    context = masked(email.context, email.secret_keys)
    links = dict.fromkeys(SIGNED_LINKS, MASK)
    if email.version.category in ESSENTIAL_CATEGORIES:
        links["unsubscribe_url"] = ""
    return render_for(version=email.version, address=email.to, context={**context, **links})


def context_as_stored(*, email: OutboundEmail) -> dict:
    """The email's context with every secret value shown as `•••`."""
    return masked(email.context, email.secret_keys)
