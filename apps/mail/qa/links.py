"""Links that land: every `href` as the recipient meets it, and buttons Outlook can draw.

Each link is read for what breaks it on sight (template code left in it, empty or `#`, not
HTTPS, `localhost` or a private address, a `mailto:` that is not an address), then this site's
own links are followed (`landing`): through the URLconf and every middleware, signed out and
signed in, their signatures checked by their views. A link to no page (404), to a page that
fails, or, in a customer's email, to the staff console is an error. Other sites' links are
not fetched: the checks make no network calls.

Sample data writes this site's links on a stand-in host (`https://app.summasaas.example/...`,
the `.example` domain is reserved for examples): its paths are this site's, so they are
followed the same way.
"""

import ipaddress
import re
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from . import landing
from .document import Document, Node
from .findings import ERROR, INFO, WARNING, Finding

STAND_IN_HOSTS = {"app.summasaas.example", "ops.summasaas.example"}
_TEMPLATE_CODE = re.compile(r"\{\{|\{%|%7b%7b|%7b%25", re.I)
LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def hrefs(document: Document) -> list[tuple[Node, str]]:
    return [
        (node, node.get("href").strip())
        for node in document.elements()
        if node.tag in ("a", "area") and "href" in node.attrs
    ]


def _short(href: str) -> str:
    return href if len(href) <= 80 else href[:77] + "…"


def sight_problem(href: str) -> str | None:
    """What breaks a link on sight, or None."""
    if _TEMPLATE_CODE.search(href):
        return "holds template code that was not filled in"
    if not href or href == "#":
        return "goes nowhere (empty or #)"
    if href.startswith("#"):
        return None  # an anchor in the email itself (client support is checked apart)
    try:
        parts = urlsplit(href)
    except ValueError:
        return "cannot be read as an address"
    if parts.scheme == "mailto":
        return _mailto_problem(parts.path)
    if parts.scheme == "tel":
        return None if re.search(r"\d{3}", parts.path) else "is not a phone number"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not a web address (http or https with a host)"
    if local := _local(parts.hostname):
        return f"points at {local}, which the recipient cannot reach"
    if parts.scheme == "http":
        return "is not HTTPS"
    return None


def _mailto_problem(addresses: str) -> str | None:
    found = [unquote(a).strip() for a in addresses.split(",") if a.strip()]
    if not found:
        return "is a mailto: link without an address"
    for address in found:
        try:
            validate_email(address)
        except ValidationError:
            return f"is a mailto: link to {address!r}, which is not an email address"
    return None


def _local(host: str) -> str:
    """A name for `host` when it is the recipient's own machine or a private network."""
    host = host.lower().strip("[]")
    if host in LOCAL_NAMES or host.endswith(".localhost") or host.endswith(".local"):
        return "localhost"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return ""
    if address.is_loopback or address.is_unspecified:
        return "localhost"
    return "a private network address" if address.is_private else ""


def _host(url: str) -> str:
    """The URL's host in lower case; empty when it has none or cannot be read."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def own_site(href: str) -> bool:
    host = _host(href)
    return bool(host) and (host == _host(settings.SITE_URL) or host in STAND_IN_HOSTS)


def check_links(document: Document, *, recipient: str = landing.CUSTOMER) -> list[Finding]:
    """Every link's findings; this site's links are followed to where they land."""
    findings, follow = [], []
    links = list(dict.fromkeys(href for _node, href in hrefs(document)))
    for href in links:
        if why := sight_problem(href):
            findings.append(
                Finding("links", _severity(href), f"{_short(href) or '(empty)'} {why}", href)
            )
            if _TEMPLATE_CODE.search(href) or not href or href == "#":
                continue
        if href.startswith(("http://", "https://")) and own_site(href) and _host(href):
            follow.append(href)
        elif href.startswith(("http://", "https://")) and not sight_problem(href):
            findings.append(
                Finding(
                    "links",
                    INFO,
                    f"{_short(href)}: another site's page, "
                    "not fetched (the checks make no network calls)",
                    href,
                )
            )
    for href, (signed_out, signed_in) in landing.visits(follow, recipient=recipient).items():
        findings.append(_landing_finding(href, signed_out, signed_in, recipient))
    findings += check_images(document)
    findings += check_buttons(document)
    if not links:
        findings.append(Finding("links", INFO, "The email has no links"))
    return findings


def _severity(href: str) -> str:
    """A development server's own SITE_URL (127.0.0.1 with DEBUG on) is expected while
    developing: a warning there; anywhere else, or deployed, an error."""
    host = _host(href) if href.startswith("http") else ""
    if settings.DEBUG and host and host == _host(settings.SITE_URL) and _local(host):
        return WARNING
    return ERROR


def _landing_finding(href, out: landing.Visit, signed_in: landing.Visit, recipient) -> Finding:
    short = _short(href)
    for visit, who in ((signed_in, "signed in"), (out, "signed out")):
        if problem := _visit_problem(visit, recipient):
            return Finding(
                "links", ERROR, f"{short} {problem} ({who})", href, _trail(out, signed_in)
            )
    if out.sign_in_page and signed_in.path != out.path:
        how = f"a signed-out recipient signs in first, then lands on {signed_in.path}"
    else:
        how = f"lands on {signed_in.path}"
    if signed_in.signed_link and signed_in.route not in landing.OWN_SIGNED_ROUTES:
        how += " (a signed link: the sample's token stands for the one made at send time)"
    return Finding("links", INFO, f"{short}: {how}", href, _trail(out, signed_in))


def _visit_problem(visit: landing.Visit, recipient: str) -> str | None:
    if visit.error:
        return f"fails on its page ({visit.error})"
    if visit.off_site:
        return None
    stand_in = visit.signed_link and visit.route not in landing.OWN_SIGNED_ROUTES
    if stand_in and 400 <= visit.status < 500:
        return None  # the sample's stand-in token is refused; the route exists
    if visit.status == 404:
        return f"goes to a page that does not exist ({visit.path} answers 404)"
    if visit.status >= 500:
        return f"goes to a page that fails ({visit.path} answers {visit.status})"
    if visit.staff_only and recipient != landing.STAFF:
        return f"lands on the staff console ({visit.path}), which customers cannot use"
    if visit.status >= 400:
        return f"is refused by its page ({visit.path} answers {visit.status})"
    return None


def _trail(out: landing.Visit, signed_in: landing.Visit) -> str:
    return (
        f"signed out: {out.status} at {out.path}{' → ' + out.off_site if out.off_site else ''}; "
        f"signed in: {signed_in.status} at {signed_in.path}"
    )


def check_images(document: Document) -> list[Finding]:
    """Images must load for the recipient: HTTPS, not local, no template code left."""
    findings = []
    for node in document.find_all("img"):
        src = node.get("src").strip()
        if src.startswith("data:image/"):
            continue
        if why := sight_problem(src):
            findings.append(
                Finding("links", ERROR, f"image {_short(src) or '(no src)'} {why}", src)
            )
    return findings


# --- buttons in Outlook for Windows ---------------------------------------------------------

_VML_BUTTON = re.compile(r"<v:(roundrect|rect)\b", re.I)


def check_buttons(document: Document) -> list[Finding]:
    """A link styled as a button needs what Outlook for Windows draws instead of CSS.

    Outlook (Word's engine) ignores a link's own background and padding: the button shows only
    when its table cell carries the colour (`bgcolor`) and the padding (`mso-padding-alt`), as
    MJML's buttons do, or when a VML shape draws it in a conditional comment.
    """
    vml = any(_VML_BUTTON.search(comment) for comment in document.comments())
    findings = []
    for node, href in hrefs(document):
        style = node.get("style").replace(" ", "").lower()
        if "background" not in style or vml:
            continue
        cell = next((a for a in node.ancestors() if a.tag == "td"), None)
        label = node.text_content()[:40] or href
        if cell is None or not cell.get("bgcolor"):
            findings.append(
                Finding(
                    "links",
                    ERROR,
                    f"The button “{label}” has no fallback for Outlook on Windows: "
                    "it draws neither the link's background nor its padding, so the button shows "
                    "as bare link text. Put it in a table cell with bgcolor and mso-padding-alt "
                    "(MJML's <mj-button> does), or draw it with VML",
                    "Outlook (Windows)",
                    href,
                )
            )
        elif "padding" in style and "mso-padding-alt" not in cell.get("style").lower():
            findings.append(
                Finding(
                    "links",
                    WARNING,
                    f"The button “{label}” has no mso-padding-alt on its cell: "
                    "Outlook on Windows draws it as tight as its text",
                    "Outlook (Windows)",
                    href,
                )
            )
    return findings
