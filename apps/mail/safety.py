"""What an email may not contain: active content, event handlers, script and data URLs.

Mail clients strip most of it, but not all of them, and not the console's own pages that show
an email; a template that carries any of it is refused when saved, at its line and column
(`validation` calls these for every element and attribute it walks, inside `<mj-text>` and
`<mj-raw>` too).
"""

import re
from html.parser import HTMLParser

FORBIDDEN_ELEMENTS = {
    "script": "runs code",
    "iframe": "embeds another page",
    "frame": "embeds another page",
    "frameset": "embeds other pages",
    "object": "embeds active content",
    "embed": "embeds active content",
    "applet": "embeds active content",
    "base": "changes where every link points",
}
# Attributes holding a link: a `data:` URL there opens content the email's sender chose.
LINK_ATTRIBUTES = {"href", "xlink:href", "action", "formaction", "base-url"}
_SAFE_DATA_IMAGE = re.compile(r"data:image/(png|gif|jpe?g|webp);", re.I)
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)|@import\s+(['\"])(.*?)\3", re.I | re.S)
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?|\\(.)")
_CONDITIONAL = re.compile(r"<\s*(script|iframe|object|embed|applet|frame|base)\b|javascript:", re.I)


def _scheme(url: str) -> str:
    """The URL's scheme as a browser reads it: control characters and spaces dropped."""
    compact = "".join(ch for ch in url if ord(ch) > 32).lower()
    return compact.split(":", 1)[0] if ":" in compact else ""


def element_problem(tag: str) -> str | None:
    why = FORBIDDEN_ELEMENTS.get(tag.lower())
    return f"<{tag}> is not allowed in an email: it {why}" if why else None


def attribute_problem(name: str, value: str | None) -> str | None:
    """Why an attribute is refused, or None: event handlers, script and data URLs."""
    name = name.lower()
    if name.startswith("on"):
        return f"the {name} attribute is not allowed: event handlers run code"
    value = value or ""
    scheme = _scheme(value)
    if scheme in ("javascript", "vbscript"):
        return f"a {scheme}: URL is not allowed in {name}: it runs code"
    if scheme == "data" and (name in LINK_ATTRIBUTES or not _SAFE_DATA_IMAGE.match(value.strip())):
        return f"a data: URL is not allowed in {name}; link to an https: address instead"
    return None


def _unescape_css(text: str) -> str:
    return _CSS_ESCAPE.sub(
        lambda m: (
            chr(int(m.group(1), 16))
            if m.group(1) and int(m.group(1), 16) < 0x110000
            else (m.group(2) or "")
        ),
        text,
    )


def css_problems(css: str) -> list[tuple[int, str]]:
    """(offset in `css`, why) for each url(...) or @import with a script or data URL."""
    found = []
    for match in _CSS_URL.finditer(css):
        url = _unescape_css(match.group(2) if match.group(2) is not None else match.group(4))
        scheme = _scheme(url)
        what = "url(...)" if match.group(0)[:3].lower() == "url" else "@import"
        if scheme in ("javascript", "vbscript", "data"):
            found.append((match.start(), f"a {scheme}: URL is not allowed in CSS {what}"))
    for match in re.finditer(r"expression\s*\(|behavior\s*:|-moz-binding", css, re.I):
        found.append((match.start(), "CSS that runs code (expression, behavior, -moz-binding)"))
    return found


def comment_problem(comment: str) -> str | None:
    """Conditional comments (`<!--[if mso]>...`) are HTML to Outlook: the same rules apply."""
    match = _CONDITIONAL.search(comment)
    if match is None:
        return None
    return f"{match.group(0).strip('<').strip()!r} is not allowed, even inside a comment"


class RenderedScan(HTMLParser):
    """The same rules over HTML as rendered with the sample data (tags built from variables)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if why := element_problem(tag):
            self.problems.append(why)
        for name, value in attrs:
            if why := attribute_problem(name, value):
                self.problems.append(why)


def rendered_problems(html: str) -> list[str]:
    scan = RenderedScan()
    scan.feed(html)
    scan.close()
    return list(dict.fromkeys(scan.problems))
