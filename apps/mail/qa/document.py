"""A rendered email as a small tree: elements, their attributes, text and comments.

Python's own `html.parser` builds it, forgivingly (an end tag closes the nearest open element
of its name; void elements never open), which is what every check here needs: walk the
elements, read attributes and inline styles, find the text and what it sits in.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

# HTML's void elements: no end tag, no children (`bounds` adds MJML's own to them).
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "param",
    "source",
    "track",
    "wbr",
}
# Elements whose text is not shown as body text.
NOT_SHOWN = {"head", "style", "script", "title", "template", "noscript", "xml"}


@dataclass(eq=False)
class Node:
    """An element (`tag` set), a text run (`tag` "#text") or a comment (`tag` "#comment")."""

    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list["Node"] = field(default_factory=list)
    parent: "Node | None" = None
    text: str = ""
    line: int = 0

    def get(self, name: str, default: str = "") -> str:
        return self.attrs.get(name, default)

    def elements(self) -> Iterator["Node"]:
        """Every element below this one, in document order."""
        return (node for node in self.walk() if node.tag[0] != "#")

    def walk(self) -> Iterator["Node"]:
        """Every node below this one (elements, text, comments), in document order; without
        recursion, so markup nested thousands deep cannot exhaust the stack."""
        stack = list(reversed(self.children))
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def ancestors(self) -> Iterator["Node"]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def text_content(self) -> str:
        """The text inside, with `alt` of images standing for them (as a link's name does)."""
        parts = []
        for node in self.walk():
            if node.tag == "#text" and not any(a.tag in NOT_SHOWN for a in node.ancestors()):
                parts.append(node.text)
            elif node.tag == "img":
                parts.append(node.get("alt"))
        return " ".join(" ".join(parts).split())

    def describe(self) -> str:
        """`<tag class="...">` for a message."""
        classes = self.get("class")
        return f'<{self.tag} class="{classes}">' if classes else f"<{self.tag}>"


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document")
        self.open: list[Node] = [self.root]
        self.doctype = ""

    def _append(self, node: Node) -> None:
        node.parent = self.open[-1]
        node.line = self.getpos()[0]
        self.open[-1].children.append(node)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {name.lower(): value or "" for name, value in attrs})
        self._append(node)
        if tag not in VOID:
            self.open.append(node)

    def handle_startendtag(self, tag, attrs):
        self._append(Node(tag, {name.lower(): value or "" for name, value in attrs}))

    def handle_endtag(self, tag):
        for index in range(len(self.open) - 1, 0, -1):
            if self.open[index].tag == tag:
                del self.open[index:]
                return

    def handle_data(self, data):
        if data:
            self._append(Node("#text", text=data))

    def handle_comment(self, data):
        self._append(Node("#comment", text=data))

    def handle_decl(self, decl):
        self.doctype = decl


@dataclass
class Document:
    """The parsed email: its tree, its doctype and the source it came from."""

    root: Node
    doctype: str
    html: str

    def elements(self) -> Iterator[Node]:
        return self.root.elements()

    def find(self, tag: str) -> Node | None:
        return next((node for node in self.elements() if node.tag == tag), None)

    def find_all(self, tag: str) -> list[Node]:
        return [node for node in self.elements() if node.tag == tag]

    def comments(self) -> list[str]:
        return [node.text for node in self.root.walk() if node.tag == "#comment"]

    def style_blocks(self) -> list[str]:
        return [
            "".join(child.text for child in node.children if child.tag == "#text")
            for node in self.find_all("style")
        ]


def parse(html: str) -> Document:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return Document(builder.root, builder.doctype, html)
