"""The MJML structure of a layout or template: known elements, attributes and nesting (which
MRML does not check), each problem at its line and column.

MJML's ending tags (`<mj-text>`, `<mj-button>`, ...) hold HTML that is passed through, so their
content is not checked as MJML; but an `<mj-...>` tag inside one means the ending tag was never
closed (or was closed with a typo), which MRML reports only as "unexpected end of stream" with no
place, or not at all.
"""

import re
from html.parser import HTMLParser

from ..exceptions import Problem
from ..mjml_schema import ATTRIBUTE_DEFAULT_TARGETS, ELEMENTS, ENDING
from ..safety import attribute_problem, comment_problem, css_problems, element_problem


class _MjmlChecker(HTMLParser):
    """Walks MJML source, recording unknown elements/attributes and misplaced children."""

    def __init__(self, field_name: str, root_parent: str | None, allow_content: bool):
        super().__init__(convert_charrefs=True)
        self.field_name, self.root_parent, self.allow_content = (
            field_name,
            root_parent,
            allow_content,
        )
        # (element, line, column, cause): cause is where the problem with this element is
        # (an unknown element, a typo), so what happens inside it is a consequence
        self.stack: list[tuple[str, int, int, tuple[int, int] | None]] = []
        self.problems: list[Problem] = []
        self.content_tags = 0
        self.content_parent = "mj-body"
        self.source = ""

    def check(self, source: str) -> list[Problem]:
        self.source = source
        self.feed(source)
        self.close()
        for name, line, col, cause in self.stack:
            self._add(line, col, f"<{name}> is never closed", cause=cause)
        if self.root_parent is None and not self.problems and not self._saw_root:
            self._add(1, 1, "the document must start with <mjml>")
        return self.problems

    _saw_root = False

    def _add(self, line: int, col: int, message: str, cause=None) -> None:
        self.problems.append(Problem(self.field_name, line, col, message, cause))

    def _suspect(self) -> tuple[int, int] | None:
        """Where the innermost open element went wrong, if it did (its problems follow)."""
        return self.stack[-1][3] if self.stack else None

    def _pos(self) -> tuple[int, int]:
        line, offset = self.getpos()
        return line, offset + 1

    def _raw_parent(self) -> str | None:
        return next((name for name, *_rest in self.stack if name in ENDING), None)

    def handle_starttag(self, tag, attrs):
        self._open(tag, attrs, closed=False)

    def handle_startendtag(self, tag, attrs):
        self._open(tag, attrs, closed=True)

    def _open(self, tag: str, attrs: list, closed: bool) -> None:
        line, col = self._pos()
        forbidden = element_problem(tag)
        if forbidden:
            self._add(line, col, forbidden)
        for name, value in attrs:
            if why := attribute_problem(name, value):
                self._add(*self._attribute_pos(name, line, col), why)
            elif name.lower() == "style" and value:
                self._check_css(value, *self._attribute_pos(name, line, col), inline=True)
        if self._raw_parent():
            if not tag.startswith("mj-"):
                return  # HTML inside mj-text, mj-button, ... is passed through
            self._unclosed_raw(tag, line, col)
        parent = self.stack[-1][0] if self.stack else self.root_parent
        if tag == "mjml":
            self._saw_root = True
        cause = None
        if forbidden:
            cause = (line, col)
        elif self._known(tag, parent, line, col):
            self._check_attributes(tag, parent, attrs, line, col)
        else:
            cause = (line, col)
        if not closed:
            self.stack.append((tag, line, col, cause))

    def _attribute_pos(self, name: str, line: int, col: int) -> tuple[int, int]:
        """Where attribute `name` starts in the current start tag."""
        text = self.get_starttag_text() or ""
        match = re.search(rf"\s{re.escape(name)}\s*(=|\s|/?>)", text, re.I)
        offset = match.start() + 1 if match else 0
        if offset <= 0:
            return line, col
        extra_lines = text[:offset].count("\n")
        if extra_lines:
            return line + extra_lines, offset - text[:offset].rfind("\n")
        return line, col + offset

    def _check_css(self, css: str, line: int, col: int, *, inline: bool = False) -> None:
        for offset, why in css_problems(css):
            if inline:  # an attribute: point at the attribute itself
                self._add(line, col, why)
                continue
            extra = css[:offset].count("\n")
            at_col = offset - css[:offset].rfind("\n") if extra else col + offset
            self._add(line + extra, at_col, why)

    def handle_comment(self, data):
        if why := comment_problem(data):
            self._add(*self._pos(), why)

    def _known(self, tag: str, parent: str | None, line: int, col: int) -> bool:
        if parent == "mj-attributes" and tag in ATTRIBUTE_DEFAULT_TARGETS:
            return True
        if tag not in ELEMENTS:
            self._add(line, col, f"unknown element <{tag}>", cause=self._suspect())
            return False
        parents = ELEMENTS[tag][1]
        if tag == "mj-content":
            self.content_tags += 1
            self.content_parent = parent
            if not self.allow_content:
                self._add(line, col, "<mj-content/> belongs in the layout, not in a template")
        if parents and parent not in parents:
            where = f"inside <{parent}>" if parent else "at the top level"
            allowed = ", ".join(f"<{p}>" for p in sorted(parents))
            self._add(
                line,
                col,
                f"<{tag}> is not allowed {where}; it goes in {allowed}",
                cause=self._suspect(),
            )
        elif not parents and parent is not None:
            self._add(line, col, f"<{tag}> must be the root element", cause=self._suspect())
        return True

    def _check_attributes(self, tag, parent, attrs, line, col) -> None:
        if parent == "mj-attributes" and tag in ATTRIBUTE_DEFAULT_TARGETS:
            allowed = ELEMENTS[tag][0] - {"mj-class"}
        else:
            allowed = ELEMENTS[tag][0]
        if "*" in allowed:
            return
        for name, value in attrs:
            if name not in allowed and not attribute_problem(name, value):
                self._add(
                    *self._attribute_pos(name, line, col), f"unknown attribute {name!r} on <{tag}>"
                )

    def _unclosed_raw(self, tag: str, line: int, col: int) -> None:
        """An MJML element met inside an ending tag: that tag was never closed (MRML would say
        only "unexpected end of stream", with no place). Said where it opened; then checking
        goes on as if it had been closed."""
        while self.stack and self.stack[-1][0] not in ENDING:
            self.stack.pop()
        name, open_line, open_col, cause = self.stack.pop()
        message = f"<{name}> is never closed: <{tag}> at line {line}, column {col} is inside it"
        self._add(open_line, open_col, f"{message}; close it with </{name}> first", cause=cause)

    def handle_endtag(self, tag):
        raw = self._raw_parent()
        if raw and tag != raw and tag not in (name for name, *_ in self.stack):
            if tag.startswith("mj-"):  # `<mj-text>...</mj-txt>`: meant to close it
                line, col = self._pos()
                name, open_line, open_col, cause = self.stack.pop()
                opened = f"<{name}> opened at line {open_line}, column {open_col}"
                self._add(line, col, f"</{tag}> does not close {opened}; write </{name}>", cause)
            return  # an HTML end tag inside mj-text and friends
        line, col = self._pos()
        if not self.stack:
            self._add(line, col, f"closing </{tag}> without an opening tag")
            return
        name, open_line, open_col, cause = self.stack[-1]
        if name == tag:
            self.stack.pop()
            return
        message = f"</{tag}> does not close <{name}> opened at line {open_line}, column {open_col}"
        if tag in (n for n, *_ in self.stack):
            if cause is not None:  # closing a mistyped element's parent: the typo's doing
                self._add(line, col, message, cause=cause)
                self.stack.pop()
                self.handle_endtag(tag)
                return
            # An element left open: said where it opened (the line to fix), naming the close
            # that found it.
            closes = f"</{tag}> at line {line}, column {col} closes its parent first"
            self._add(open_line, open_col, f"<{name}> is never closed: {closes}")
            while self.stack and self.stack[-1][0] != tag:
                self.stack.pop()
            self.stack.pop()
        elif cause is not None or tag not in ELEMENTS:
            # `<mj-colum>...</mj-column>` or `<mj-column>...</mj-colum>`: one typo; the tag
            # closes the element it was meant for, so what follows is checked normally.
            self._add(line, col, message, cause=cause)
            self.stack.pop()
        else:
            self._add(line, col, message)

    def handle_data(self, data):
        if self.cdata_elem == "style" or self._raw_parent() == "mj-style":
            self._check_css(data, *self._pos())
        if not data.strip() or self._raw_parent() or self.cdata_elem == "script":
            return
        line, col = self._pos()
        lead = len(data) - len(data.lstrip())
        line += data[:lead].count("\n")
        col = lead - data[:lead].rfind("\n") if "\n" in data[:lead] else col + lead
        parent = self.stack[-1][0] if self.stack else self.root_parent
        self._add(
            line,
            col,
            f"text {data.strip()[:30]!r} is not allowed inside <{parent}>; text and "
            "template tags go inside <mj-text>, <mj-button>, <mj-table> or <mj-raw>",
            cause=self._suspect(),
        )


def check_mjml(
    source: str, *, field_name: str, root_parent: str | None, layout: bool
) -> tuple[list[Problem], str]:
    """Structure problems, and (for a layout) the element templates are placed in."""
    checker = _MjmlChecker(field_name, root_parent, allow_content=layout)
    problems = checker.check(source)
    if layout and checker.content_tags != 1:
        problems.append(
            Problem(
                field_name,
                1,
                1,
                "the layout needs exactly one <mj-content/>, where "
                f"templates go (found {checker.content_tags})",
            )
        )
    return problems, checker.content_parent
