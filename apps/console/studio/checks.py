"""Checks shown beside the preview: links, alt text, size, dark mode, unsubscribe."""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.conf import settings

from apps.mail.models import ESSENTIAL_CATEGORIES
from apps.mail.validation import MAX_HTML_BYTES

PASS, WARN, FAIL = "pass", "warn", "fail"


@dataclass
class Check:
    """One finding: a status, a one-line summary and the items it is about."""

    key: str
    status: str
    title: str
    items: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"key": self.key, "status": self.status, "title": self.title, "items": self.items}


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.images: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "href" in attrs:
            self.links.append((attrs["href"] or "").strip())
        elif tag == "img":
            self.images.append(attrs)


def run_checks(*, html: str, category: str, unsubscribe_url: str) -> list[Check]:
    """Every check, on the HTML as rendered for one recipient."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return [
        check_links(collector.links),
        check_images(collector.images),
        check_size(html),
        check_dark_mode(html),
        check_unsubscribe(collector.links, category, unsubscribe_url),
    ]


def link_problem(href: str) -> str | None:
    """Why a link is broken or not HTTPS, or None when it is fine."""
    if not href or href.startswith("#"):
        return "empty or a placeholder (#)"
    if "{{" in href or "{%" in href:
        return "holds template code that was not filled in"
    try:
        parts = urlsplit(href)
    except ValueError:
        return "cannot be parsed"
    if parts.scheme in ("mailto", "tel"):
        return None if parts.path else "has no address"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not an absolute web address"
    if parts.scheme == "http" and not _own_site(href):
        return "is not HTTPS"
    return None


def _own_site(href: str) -> bool:
    # The site's own links (unsubscribe, preferences) use SITE_URL's scheme, plain HTTP only
    # in development; the deployed SITE_URL is HTTPS.
    return href.startswith(settings.SITE_URL + "/")


def check_links(links: list[str]) -> Check:
    bad = [f"{href or '(empty)'}: {why}" for href in links if (why := link_problem(href))]
    if bad:
        return Check("links", FAIL, f"{len(bad)} of {len(links)} links broken or not HTTPS", bad)
    if not links:
        return Check("links", PASS, "No links")
    if len(links) == 1:
        return Check("links", PASS, "The link is HTTPS and well formed")
    return Check("links", PASS, f"All {len(links)} links are HTTPS and well formed")


def check_images(images: list[dict]) -> Check:
    missing = [
        attrs.get("src") or "(no src)"
        for attrs in images
        if not (attrs.get("alt") or "").strip() and not _pixel(attrs)
    ]
    if missing:
        return Check("alt", WARN, f"{len(missing)} image(s) without alt text", missing)
    if not images:
        return Check("alt", PASS, "No images")
    if len(images) == 1:
        return Check("alt", PASS, "The image has alt text")
    return Check("alt", PASS, f"All {len(images)} images have alt text")


def _pixel(attrs: dict) -> bool:
    return attrs.get("width") in ("0", "1") and attrs.get("height") in ("0", "1")


def check_size(html: str) -> Check:
    size = len(html.encode())
    title = f"{size / 1024:.1f} KB of HTML; Gmail clips at {MAX_HTML_BYTES // 1024} KB"
    if size > MAX_HTML_BYTES:
        return Check("size", FAIL, title)
    return Check("size", WARN if size > 0.8 * MAX_HTML_BYTES else PASS, title)


def check_dark_mode(html: str) -> Check:
    compact = html.lower().replace(" ", "")
    media = "prefers-color-scheme:dark" in compact
    meta = 'name="color-scheme"' in html.lower()
    if media and meta:
        return Check("dark", PASS, "Dark-mode styles and the color-scheme meta are present")
    missing = [
        what
        for what, present in [
            ("@media (prefers-color-scheme: dark) styles", media),
            ('<meta name="color-scheme" content="light dark">', meta),
        ]
        if not present
    ]
    return Check("dark", WARN, "Dark-mode styles are missing", missing)


def check_unsubscribe(links: list[str], category: str, unsubscribe_url: str) -> Check:
    if category in ESSENTIAL_CATEGORIES:
        return Check("unsubscribe", PASS, f"No unsubscribe link needed ({category} email)")
    if unsubscribe_url and unsubscribe_url in links:
        return Check("unsubscribe", PASS, "The unsubscribe link is present")
    return Check(
        "unsubscribe",
        FAIL,
        f"{category.title()} emails need an unsubscribe link ({{{{ unsubscribe_url }}}})",
    )
