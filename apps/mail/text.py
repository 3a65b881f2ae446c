"""The plain-text alternative derived from an email's HTML."""

import re
from html.parser import HTMLParser

_BLOCK = {"p", "div", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol"}
_SKIP = {"head", "style", "title", "script"}


class _TextMaker(HTMLParser):
    """HTML to readable text: block breaks kept, links as 'label (url)', hidden parts dropped."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.stack: list[tuple[str, bool]] = []
        self.links: list[tuple[str, int]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        hidden = tag in _SKIP or "display:none" in (attrs.get("style") or "").replace(" ", "")
        if tag not in {"br", "img", "meta", "link", "hr", "input"}:
            self.stack.append((tag, hidden))
            self.skip_depth += hidden
        if self.skip_depth:
            return
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCK or tag in ("td", "th"):
            self.parts.append("\n" if tag in _BLOCK else " ")
        if tag == "a":
            self.links.append((attrs.get("href") or "", len(self.parts)))

    def handle_endtag(self, tag):
        while self.stack:
            name, hidden = self.stack.pop()
            self.skip_depth -= hidden
            if name == tag:
                break
        if self.skip_depth:
            return
        if tag == "a" and self.links:
            href, at = self.links.pop()
            label = "".join(self.parts[at:]).strip()
            if href and href != label and not href.startswith("#"):
                self.parts.append(f" ({href})" if label else href)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip_depth:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """Derive the plain-text alternative; Django template tags in it pass through untouched."""
    maker = _TextMaker()
    maker.feed(html)
    maker.close()
    lines = [line.strip() for line in "".join(maker.parts).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
