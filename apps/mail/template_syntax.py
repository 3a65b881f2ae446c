"""Reading a template without rendering it, through Django's lexer and parser.

The reading half of the sandbox (sandbox.py runs templates, and parses the ones read here with
its own engine): with it, the only module that knows Django's template internals. Here those
are the lexer's tokens, the parsed nodes and what they hold (`VariableNode`, `IfNode`'s
conditions, `ForNode`'s loop variables, a `FilterExpression`'s filters), and where a
`TemplateSyntaxError` says it happened. Everything that leaves this module is plain values,
placed by their offset in the source:

| what | for |
| --- | --- |
| `template_tokens`, `is_whole_tag` | the checks that run before parsing (bounds, validation) |
| `template_reads` | the variables a template uses and its literal filter arguments |
| `syntax_error_start` | where a template that does not parse went wrong |
"""

import enum
from dataclasses import dataclass

from django.template.base import DebugLexer, TokenType, Variable, VariableNode, tag_re
from django.template.defaulttags import (
    CycleNode,
    FilterNode,
    FirstOfNode,
    ForNode,
    IfNode,
    WithNode,
)

from .exceptions import MailError


class TokenKind(enum.StrEnum):
    TEXT = "text"
    VARIABLE = "variable"  # {{ ... }}
    BLOCK = "block"  # {% ... %}
    COMMENT = "comment"  # {# ... #}


_KINDS = {
    TokenType.TEXT: TokenKind.TEXT,
    TokenType.VAR: TokenKind.VARIABLE,
    TokenType.BLOCK: TokenKind.BLOCK,
    TokenType.COMMENT: TokenKind.COMMENT,
}


@dataclass(frozen=True)
class Token:
    """One piece of a template as Django's lexer cuts it."""

    kind: TokenKind
    contents: str  # inside a tag: what is between its delimiters, stripped; text as it is
    start: int  # offset in the source


def template_tokens(source: str) -> list[Token]:
    """`source` cut into text and tags, as the parser will see it (`{% verbatim %}` included)."""
    return [
        Token(_KINDS[token.token_type], token.contents, token.position[0])
        for token in DebugLexer(source).tokenize()
    ]


def is_whole_tag(text: str) -> bool:
    """Whether a piece of text is one whole tag (what `{% verbatim %}` shows as text)."""
    return tag_re.fullmatch(text) is not None


@dataclass(frozen=True)
class VariableUse:
    """A variable a template reads: `{{ user.name }}` reads ("user", "name").

    `loop_source` says where its first name comes from: None, the context (so does a name
    bound by a `{% for %}` over a literal); (), a `{% with %}` or `forloop`, nothing to check;
    otherwise the lookups of the sequence the `{% for %}` that bound it loops over.
    """

    lookups: tuple[str, ...]
    start: int  # offset of the tag that reads it
    loop_source: tuple[str, ...] | None = None


@dataclass(frozen=True)
class FilterArgument:
    """A literal filter argument: `{{ x|center:5000 }}` gives ("center", 5000)."""

    filter_name: str
    argument: object
    start: int  # offset of the tag that holds it


Read = VariableUse | FilterArgument


def template_reads(nodelist) -> list[Read]:
    """What a parsed template (its `nodelist`, parsed with debug on) reads, in template order:
    for each expression, its literal filter arguments first, then its variables."""
    reads: list[Read] = []
    _read_nodes(nodelist, {}, reads)
    return reads


class TemplateUnparsableError(MailError, ValueError):
    """A template that does not parse: the message says why, `start` where (an offset)."""

    def __init__(self, message: str, *, start: int):
        self.start = start
        super().__init__(message)


def syntax_error_start(error: Exception) -> int:
    """Where in the source an error raised by a debug engine's parser happened (0: unknown)."""
    debug = getattr(error, "template_debug", None) or {"start": 0}
    return debug["start"]


# A scope maps the names a tag binds to their `loop_source` (see VariableUse).
Scope = dict[str, tuple[str, ...] | None]


def _read_nodes(nodelist, scope: Scope, reads: list[Read]) -> None:
    for node in nodelist:
        token = getattr(node, "token", None)
        _read_node(node, scope, token.position[0] if token else 0, reads)


def _read_node(node, scope: Scope, start: int, reads: list[Read]) -> None:
    if isinstance(node, VariableNode):
        _read_expression(node.filter_expression, scope, start, reads)
    elif isinstance(node, IfNode):
        for condition, branch in node.conditions_nodelists:
            _read_condition(condition, scope, start, reads)
            _read_nodes(branch, scope, reads)
    elif isinstance(node, ForNode):  # the sandbox's BoundedForNode too
        _read_for(node, scope, start, reads)
    elif isinstance(node, WithNode):
        for value in node.extra_context.values():
            _read_expression(value, scope, start, reads)
        _read_nodes(node.nodelist, {**scope, **dict.fromkeys(node.extra_context, ())}, reads)
    elif isinstance(node, FirstOfNode | CycleNode):
        for value in getattr(node, "vars", None) or getattr(node, "cyclevars", []):
            _read_expression(value, scope, start, reads)
    else:
        if isinstance(node, FilterNode):
            _read_expression(node.filter_expr, scope, start, reads)
        for attr in node.child_nodelists:
            _read_nodes(getattr(node, attr, None) or [], scope, reads)


def _read_for(node: ForNode, scope: Scope, start: int, reads: list[Read]) -> None:
    _read_expression(node.sequence, scope, start, reads)
    sequence = node.sequence.var
    lookups = sequence.lookups if isinstance(sequence, Variable) else None
    inner = {**scope, "forloop": (), **dict.fromkeys(node.loopvars, lookups)}
    _read_nodes(node.nodelist_loop, inner, reads)
    _read_nodes(node.nodelist_empty or [], scope, reads)


def _read_condition(condition, scope: Scope, start: int, reads: list[Read]) -> None:
    """An `{% if %}` condition: a tree of operators whose leaves hold filter expressions."""
    if condition is None:
        return
    if hasattr(condition, "value") and hasattr(condition.value, "filters"):
        _read_expression(condition.value, scope, start, reads)
        return
    for part in (getattr(condition, "first", None), getattr(condition, "second", None)):
        _read_condition(part, scope, start, reads)


def _read_expression(expression, scope: Scope, start: int, reads: list[Read]) -> None:
    """A `FilterExpression` (`x|f:"a"|g:y`): its literal arguments, then its variables."""
    variables = [expression.var]
    for func, args in expression.filters:
        for is_variable, argument in args:
            if is_variable:
                variables.append(argument)
            else:
                name = getattr(func, "_filter_name", "")
                reads.append(FilterArgument(name, argument, start))
    for var in variables:
        if isinstance(var, Variable) and var.lookups:
            reads.append(VariableUse(var.lookups, start, scope.get(var.lookups[0])))
