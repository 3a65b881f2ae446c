"""What a screen reader, a keyboard and a text-only client need from an email.

The document says its language and direction; layout tables are `role="presentation"` (data
tables keep their header cells); every image has alt text (empty only for decoration, never as
a link's only content); headings are real headings, in order; every link's text says where it
goes; and the plain-text part reads on its own: no markup, no template code, every link in it.
"""

import re

from .document import NOT_SHOWN, Document, Node
from .findings import ERROR, WARNING, Finding
from .styles import Styles, bold, font_size

# Link texts that do not say where the link goes, in the languages we send.
VAGUE_LINK_TEXT = {
    "click here",
    "here",
    "click",
    "this link",
    "link",
    "read more",
    "more",
    "learn more",
    "go",
    "this",
    "cliquez ici",
    "ici",
    "ce lien",
    "lien",
    "en savoir plus",
    "plus",
    "cliquez",
    "lire la suite",
}
LOOKS_LIKE_HEADING_PX = 22  # bold text this large reads as a heading
SMTP_LINE_LIMIT = 998
_TAG = re.compile(r"<\s*/?\s*[a-z][a-z0-9-]*(\s[^<>]*)?>", re.I)
_TEMPLATE_CODE = re.compile(r"\{\{|\{%")


def check_accessibility(
    document: Document, *, styled: Node, text: str, language: str
) -> list[Finding]:
    """`styled` is the light document with its styles inlined (contrast.inlined, parsed)."""
    return [
        *_language(document, language),
        *_tables(document),
        *_images(document),
        *_headings(document, styled),
        *_link_text(document),
        *check_text_part(text, document),
    ]


def _finding(severity: str, message: str, detail: str = "") -> Finding:
    return Finding("accessibility", severity, message, detail=detail)


def _language(document: Document, language: str) -> list[Finding]:
    html = document.find("html")
    if html is None:
        return [_finding(ERROR, "The email has no <html> element to carry its lang and dir")]
    found = []
    lang = html.get("lang").strip()
    if not lang:
        found.append(
            _finding(
                ERROR,
                f'<html> has no lang: add lang="{language}" so screen readers use the right voice',
            )
        )
    elif lang.split("-")[0].lower() != language.split("-")[0].lower():
        found.append(
            _finding(
                ERROR,
                f'<html lang="{lang}"> but the email is written in '
                f"{language}: screen readers would read it in the wrong voice",
            )
        )
    if html.get("dir").strip().lower() not in ("ltr", "rtl", "auto"):
        found.append(_finding(ERROR, '<html> has no dir: add dir="ltr" (or rtl, or auto)'))
    return found


def _data_table(table: Node) -> bool:
    return any(node.tag in ("th", "caption") and _owner(node) is table for node in table.elements())


def _owner(node: Node) -> Node | None:
    return next((a for a in node.ancestors() if a.tag == "table"), None)


def _tables(document: Document) -> list[Finding]:
    found = []
    for table in document.find_all("table"):
        role = table.get("role").strip().lower()
        if role in ("presentation", "none") or _data_table(table):
            continue
        sample = table.text_content()[:50]
        found.append(
            _finding(
                ERROR,
                'A layout <table> has no role="presentation": screen readers announce its '
                "rows and columns. Add the role, or give a data table header cells (<th>)",
                f"{table.describe()} “{sample}”",
            )
        )
    return found


def _images(document: Document) -> list[Finding]:
    found = []
    for image in document.find_all("img"):
        src = image.get("src")[:60] or "(no src)"
        if "alt" not in image.attrs:
            found.append(
                _finding(
                    ERROR,
                    f"The image {src} has no alt text: describe it, or "
                    'write alt="" if it is decoration',
                )
            )
            continue
        link = next((a for a in image.ancestors() if a.tag == "a"), None)
        if not image.get("alt").strip() and link is not None and not link.text_content():
            found.append(
                _finding(
                    ERROR,
                    f"The image {src} is a link's only content and its alt "
                    "is empty: the link has no name; say where it goes in alt",
                )
            )
    return found


def _headings(document: Document, styled: Node) -> list[Finding]:
    found, previous = [], 0
    for node in document.elements():
        if re.fullmatch(r"h[1-6]", node.tag):
            level = int(node.tag[1])
            if level > previous + 1:
                want = "<h1>" if previous == 0 else f"<h{previous + 1}>"
                found.append(
                    _finding(
                        ERROR,
                        f"Headings skip a level: <{node.tag}> "
                        f"“{node.text_content()[:40]}” where {want} comes next",
                    )
                )
            previous = level
    return found + _false_headings(styled)


def _false_headings(styled: Node) -> list[Finding]:
    """Big bold text that is not marked up as a heading."""
    styles, found = Styles(), []
    for node in styled.elements():
        own_text = " ".join(c.text for c in node.children if c.tag == "#text").strip()
        if not own_text or node.tag in ("a", "button") or _in_heading(node):
            continue
        if any(a.tag in NOT_SHOWN or a.tag == "a" for a in node.ancestors()):
            continue
        size = font_size(node, styles)
        if size >= LOOKS_LIKE_HEADING_PX and bold(node, styles):
            found.append(
                _finding(
                    ERROR,
                    f"“{own_text[:50]}” looks like a heading ({size:g} px, bold) but is not "
                    "one: screen readers cannot jump to it. Write it as <h1> (or the next level)",
                    node.describe(),
                )
            )
    return found


def _in_heading(node: Node) -> bool:
    return any(re.fullmatch(r"h[1-6]", n.tag) for n in [node, *node.ancestors()])


def _link_text(document: Document) -> list[Finding]:
    found = []
    for link in document.find_all("a"):
        if "href" not in link.attrs:
            continue
        name = (link.get("aria-label") or link.text_content()).strip()
        words = " ".join(re.findall(r"[\w']+", name.lower()))
        if not name and any(node.tag == "img" for node in link.elements()):
            continue  # its image's empty alt is the problem, named by _images
        if not name:
            found.append(
                _finding(
                    ERROR,
                    f"A link to {link.get('href')[:60]} has no text: "
                    "screen readers read out its address",
                )
            )
        elif words in VAGUE_LINK_TEXT:
            found.append(
                _finding(
                    ERROR,
                    f"The link text “{name}” does not say where it goes: "
                    "name the page or the action instead",
                )
            )
    return found


def check_text_part(text: str, document: Document) -> list[Finding]:
    """The plain-text alternative: present, plain, complete with the email's links."""
    if not text.strip():
        return [
            _finding(
                ERROR,
                "There is no plain-text part: text-only clients and some "
                "screen readers show nothing",
            )
        ]
    found = []
    if tag := _TAG.search(text):
        found.append(
            _finding(ERROR, f"The plain-text part holds HTML markup ({tag.group(0)[:30]})")
        )
    if _TEMPLATE_CODE.search(text):
        found.append(_finding(ERROR, "The plain-text part holds template code not filled in"))
    if re.search(r"&(nbsp|amp|lt|gt|quot|#\d+);", text):
        found.append(
            _finding(
                WARNING,
                "The plain-text part holds HTML entities (&nbsp; …) "
                "that text clients show as they are",
            )
        )
    if any(len(line) > SMTP_LINE_LIMIT for line in text.splitlines()):
        found.append(
            _finding(
                ERROR,
                f"A line of the plain-text part is over {SMTP_LINE_LIMIT} "
                "characters, the limit of a line in an email",
            )
        )
    for link in document.find_all("a"):
        href = link.get("href").strip()
        if href.startswith(("http://", "https://", "mailto:")) and href not in text:
            label = link.text_content()[:40] or href[:60]
            found.append(
                _finding(
                    ERROR,
                    f"The plain-text part lacks the link “{label}”: a "
                    "text-only reader cannot follow it",
                    href,
                )
            )
    return found
