"""Checks a layout and template before they may become active; every finding has a place.

Three layers: the MJML structure (known elements, attributes and nesting, which MRML does not
check), the Django template language (allowed tags and filters only, every variable declared
and present in the sample data), and finally the MJML compile itself.
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.template import TemplateSyntaxError
from django.template.base import DebugLexer, TokenType, Variable, VariableNode
from django.template.defaulttags import (
    CycleNode,
    FilterNode,
    FirstOfNode,
    ForNode,
    IfNode,
    WithNode,
)

from .bounds import filter_argument_problem, line_col
from .exceptions import Problem
from .mjml_schema import ATTRIBUTE_DEFAULT_TARGETS, ELEMENTS, ENDING
from .safety import attribute_problem, comment_problem, css_problems, element_problem
from .sandbox import ALLOWED_FILTERS, ALLOWED_TAGS, make_engine

__all__ = ["ALLOWED_FILTERS", "ALLOWED_TAGS", "line_col", "make_engine"]

FORBIDDEN_TAGS = {
    "load": "loads tag libraries",
    "include": "reads other template files",
    "extends": "reads other template files",
    "block": "belongs to template inheritance, which emails do not use",
    "ssi": "reads files from disk",
    "debug": "prints the whole context and settings",
    "url": "reads the URL configuration; pass the link in the context",
    "static": "reads settings; pass the link in the context",
    "csrf_token": "belongs to web forms",
    "autoescape": "switches off escaping",
}
# Provided by the engine at send time (see rendering.system_context); the layout uses these.
SYSTEM_VARIABLES = {
    "site_name", "site_url", "preheader", "unsubscribe_url", "preferences_url",
    "recipient_email", "current_year", "language",
}  # fmt: skip

CONTENT_TAG = re.compile(r"<mj-content\s*/>|<mj-content\s*>\s*</mj-content\s*>")
MAX_HTML_BYTES = 102 * 1024  # Gmail clips longer messages


CHECK_ENGINE = make_engine(autoescape=True, debug=True)


# --- MJML structure ------------------------------------------------------------------------


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
            return  # HTML inside mj-text, mj-button, ... is passed through
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
            self._add(line, col, f"<{tag}> is not allowed {where}; it goes in {allowed}",
                      cause=self._suspect())  # fmt: skip
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
                self._add(*self._attribute_pos(name, line, col),
                          f"unknown attribute {name!r} on <{tag}>")  # fmt: skip

    def handle_endtag(self, tag):
        raw = self._raw_parent()
        if raw and tag != raw and tag not in (name for name, *_ in self.stack):
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
            self._add(line, col, message)
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
            line, col, f"text {data.strip()[:30]!r} is not allowed inside <{parent}>; text and "
            "template tags go inside <mj-text>, <mj-button>, <mj-table> or <mj-raw>",
            cause=self._suspect(),
        )  # fmt: skip


def check_mjml(
    source: str, *, field_name: str, root_parent: str | None, layout: bool
) -> tuple[list[Problem], str]:
    """Structure problems, and (for a layout) the element templates are placed in."""
    checker = _MjmlChecker(field_name, root_parent, allow_content=layout)
    problems = checker.check(source)
    if layout and checker.content_tags != 1:
        problems.append(
            Problem(field_name, 1, 1, "the layout needs exactly one <mj-content/>, where "
                    f"templates go (found {checker.content_tags})")
        )  # fmt: skip
    return problems, checker.content_parent


# --- Django template language --------------------------------------------------------------

_QUOTED = re.compile(r""""[^"]*"|'[^']*'""")
_FILTER = re.compile(r"\|\s*(\w+)")


@dataclass
class _Use:
    lookups: tuple[str, ...]
    line: int
    column: int
    loop_source: tuple[str, ...] | None = None
    message: str = ""  # a use that asks for too much work (a filter argument out of bounds)


@dataclass
class _Scope:
    names: dict[str, tuple[str, ...] | None] = field(default_factory=dict)

    def child(self, **names) -> "_Scope":
        return _Scope({**self.names, **names})


def _prescan(source: str, field_name: str) -> list[Problem]:
    problems = []
    for token in DebugLexer(source).tokenize():
        if token.token_type not in (TokenType.BLOCK, TokenType.VAR):
            continue
        line, col = line_col(source, token.position[0])
        contents = token.contents.strip()
        if token.token_type == TokenType.BLOCK:
            command = contents.split()[0] if contents else ""
            if command in FORBIDDEN_TAGS:
                problems.append(
                    Problem(field_name, line, col, f"the {{% {command} %}} tag is forbidden: it "
                            f"{FORBIDDEN_TAGS[command]}")
                )  # fmt: skip
                continue
            if command not in ALLOWED_TAGS:
                allowed = ", ".join(sorted(t for t in ALLOWED_TAGS if not t.startswith("end")))
                problems.append(
                    Problem(field_name, line, col, f"the {{% {command} %}} tag is not allowed "
                            f"(allowed: {allowed})")
                )  # fmt: skip
                continue
        for name in _FILTER.findall(_QUOTED.sub('""', contents)):
            if name not in ALLOWED_FILTERS:
                why = " (it switches off escaping)" if name in {"safe", "safeseq"} else ""
                problems.append(
                    Problem(field_name, line, col, f"the |{name} filter is not allowed{why}")
                )
    return problems


def _filter_expression(expression, scope: _Scope, line: int, col: int, uses: list) -> None:
    variables = [expression.var] + [
        arg for _func, args in expression.filters for lookup, arg in args if lookup
    ]
    for func, args in expression.filters:
        for lookup, arg in args:
            name = getattr(func, "_filter_name", "")
            if not lookup and (why := filter_argument_problem(name, arg)):
                uses.append(_Use((), line, col, message=why))
    for var in variables:
        if isinstance(var, Variable) and var.lookups:
            source = scope.names.get(var.lookups[0], ...)
            uses.append(_Use(var.lookups, line, col, None if source is ... else source))


def _condition(condition, scope, line, col, uses) -> None:
    if condition is None:
        return
    if hasattr(condition, "value") and hasattr(condition.value, "filters"):
        _filter_expression(condition.value, scope, line, col, uses)
        return
    for part in (getattr(condition, "first", None), getattr(condition, "second", None)):
        _condition(part, scope, line, col, uses)


def _walk(nodelist, scope: _Scope, source: str, uses: list) -> None:
    for node in nodelist:
        token = getattr(node, "token", None)
        line, col = line_col(source, token.position[0]) if token else (1, 1)
        if isinstance(node, VariableNode):
            _filter_expression(node.filter_expression, scope, line, col, uses)
        elif isinstance(node, IfNode):
            for condition, branch in node.conditions_nodelists:
                _condition(condition, scope, line, col, uses)
                _walk(branch, scope, source, uses)
        elif isinstance(node, ForNode):
            _filter_expression(node.sequence, scope, line, col, uses)
            sequence = node.sequence.var
            lookups = sequence.lookups if isinstance(sequence, Variable) else None
            inner = scope.child(forloop=(), **{v: lookups for v in node.loopvars})
            _walk(node.nodelist_loop, inner, source, uses)
            _walk(node.nodelist_empty or [], scope, source, uses)
        elif isinstance(node, WithNode):
            for value in node.extra_context.values():
                _filter_expression(value, scope, line, col, uses)
            inner = scope.child(**dict.fromkeys(node.extra_context, ()))
            _walk(node.nodelist, inner, source, uses)
        elif isinstance(node, FirstOfNode | CycleNode):
            for value in getattr(node, "vars", None) or getattr(node, "cyclevars", []):
                _filter_expression(value, scope, line, col, uses)
        else:
            if isinstance(node, FilterNode):
                _filter_expression(node.filter_expr, scope, line, col, uses)
            for attr in node.child_nodelists:
                _walk(getattr(node, attr, None) or [], scope, source, uses)


def _resolve(data, parts):
    for part in parts:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            raise LookupError(part)
    return data


def _covered(use: _Use, sample: dict) -> bool:
    try:
        if use.loop_source is None:
            _resolve(sample, use.lookups)
        elif use.loop_source:
            items = _resolve(sample, use.loop_source)
            if isinstance(items, list) and items:
                _resolve(items[0], use.lookups[1:])
        return True
    except LookupError:
        return False


def check_django(
    source: str, *, field_name: str, declared: set[str], sample: dict, autoescape: bool = True
) -> list[Problem]:
    """Parse one field as a Django template and check its tags, filters and variables."""
    problems = _prescan(source, field_name)
    if problems:
        return problems
    try:
        template = CHECK_ENGINE.from_string(source)
    except (TemplateSyntaxError, ValueError, OverflowError, RecursionError) as error:
        debug = getattr(error, "template_debug", None) or {"start": 0}
        line, col = line_col(source, debug["start"])
        return [Problem(field_name, line, col, str(error) or type(error).__name__)]
    uses: list[_Use] = []
    _walk(template.nodelist, _Scope(), source, uses)
    for use in uses:
        if use.message:
            problems.append(Problem(field_name, use.line, use.column, use.message))
            continue
        name = ".".join(use.lookups)
        if use.loop_source is None and use.lookups[0] not in declared | SYSTEM_VARIABLES:
            problems.append(
                Problem(field_name, use.line, use.column, f"variable {use.lookups[0]!r} is used "
                        "but not declared; add it to the template's variables")
            )  # fmt: skip
        elif use.lookups[0] not in SYSTEM_VARIABLES and not _covered(use, sample):
            problems.append(
                Problem(field_name, use.line, use.column, f"variable {name!r} has no value in "
                        "the sample data")
            )  # fmt: skip
    return problems


def check_declarations(variables, sample) -> list[Problem]:
    problems = []
    if not isinstance(variables, list) or not all(isinstance(v, str) for v in variables):
        return [Problem("variables", 1, 1, "variables must be a list of names")]
    if not isinstance(sample, dict):
        return [Problem("sample_context", 1, 1, "the sample data must be a JSON object")]
    for name in variables:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            problems.append(Problem("variables", 1, 1, f"{name!r} is not a valid variable name"))
        elif name in SYSTEM_VARIABLES:
            problems.append(
                Problem("variables", 1, 1, f"{name!r} is provided by the engine; do not declare it")
            )
        elif name not in sample:
            problems.append(
                Problem("sample_context", 1, 1, f"declared variable {name!r} has no sample value")
            )
    return problems
