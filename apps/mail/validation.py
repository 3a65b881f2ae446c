"""Checks a layout and template before they may become active; every finding has a place.

Three layers: the MJML structure (known elements, attributes and nesting, which MRML does not
check), the Django template language (allowed tags and filters only, every variable declared
and present in the sample data), and finally the MJML compile itself.
"""

import re
from dataclasses import dataclass, field

from django.template import TemplateSyntaxError
from django.template.base import DebugLexer, TokenType, Variable, VariableNode, tag_re
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
from .mjml_check import check_mjml
from .sandbox import ALLOWED_FILTERS, ALLOWED_TAGS, make_engine

__all__ = ["ALLOWED_FILTERS", "ALLOWED_TAGS", "check_mjml", "line_col", "make_engine"]

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


_OPENER = re.compile(r"\{[{%#]")
_CLOSER = {"{{": "}}", "{%": "%}", "{#": "#}"}


def _unclosed(token, source: str, field_name: str) -> list[Problem]:
    """`{{ name }` or `{% if x` left open: Django reads it as text (its tags end on their own
    line), but once MJML has joined lines it can swallow what follows up to another `}}`, so
    the compiled email would not parse. Refused here, at the opener."""
    if tag_re.fullmatch(token.contents):
        return []  # a whole tag shown as text by {% verbatim %}
    problems = []
    for match in _OPENER.finditer(token.contents):
        opener = match.group()
        line, col = line_col(source, token.position[0] + match.start())
        why = f"{opener} is not closed with {_CLOSER[opener]} on its line"
        hint = "to show the characters themselves, use {% templatetag %}"
        problems.append(Problem(field_name, line, col, f"{why}; {hint}"))
    return problems


def _prescan(source: str, field_name: str) -> list[Problem]:
    problems = []
    for token in DebugLexer(source).tokenize():
        if token.token_type == TokenType.TEXT:
            problems += _unclosed(token, source, field_name)
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
