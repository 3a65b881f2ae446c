"""One field as a Django template: allowed tags and filters only, no tag left open on its line,
it parses as a render parses it, its literal filter arguments ask for no more work than a render
may do, and its variables pass variables.py. Django's parser is reached through the sandbox."""

import re

from ..bounds import filter_argument_problem, line_col
from ..exceptions import Problem
from ..sandbox import (
    ALLOWED_FILTERS,
    ALLOWED_TAGS,
    FilterArgument,
    TemplateUnparsableError,
    Token,
    TokenKind,
    is_whole_tag,
    read_template,
    template_tokens,
)
from .variables import variable_problem

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

_QUOTED = re.compile(r""""[^"]*"|'[^']*'""")
_FILTER = re.compile(r"\|\s*(\w+)")
_OPENER = re.compile(r"\{[{%#]")
_CLOSER = {"{{": "}}", "{%": "%}", "{#": "#}"}


def check_django(
    source: str, *, field_name: str, declared: set[str], sample: dict, autoescape: bool = True
) -> list[Problem]:
    """Parse one field as a Django template and check its tags, filters and variables."""
    problems = tag_problems(source, field_name)
    if problems:
        return problems
    try:
        reads = read_template(source)
    except TemplateUnparsableError as error:
        return [Problem(field_name, *line_col(source, error.start), str(error))]
    for read in reads:
        if isinstance(read, FilterArgument):
            problem = _argument_problem(read, source, field_name)
        else:
            problem = variable_problem(
                read, source, field_name=field_name, declared=declared, sample=sample
            )
        if problem:
            problems.append(problem)
    return problems


def tag_problems(source: str, field_name: str) -> list[Problem]:
    """Before parsing: tags left open, and tags or filters that are not allowed."""
    problems = []
    for token in template_tokens(source):
        if token.kind == TokenKind.TEXT:
            problems += _unclosed(token, source, field_name)
        elif token.kind in (TokenKind.BLOCK, TokenKind.VARIABLE):
            problems += _tag_problems(token, source, field_name)
    return problems


def _tag_problems(token: Token, source: str, field_name: str) -> list[Problem]:
    line, col = line_col(source, token.start)
    contents = token.contents.strip()
    if token.kind == TokenKind.BLOCK:
        command = contents.split()[0] if contents else ""
        if command in FORBIDDEN_TAGS:
            why = f"the {{% {command} %}} tag is forbidden: it {FORBIDDEN_TAGS[command]}"
            return [Problem(field_name, line, col, why)]
        if command not in ALLOWED_TAGS:
            allowed = ", ".join(sorted(t for t in ALLOWED_TAGS if not t.startswith("end")))
            why = f"the {{% {command} %}} tag is not allowed (allowed: {allowed})"
            return [Problem(field_name, line, col, why)]
    problems = []
    for name in _FILTER.findall(_QUOTED.sub('""', contents)):
        if name not in ALLOWED_FILTERS:
            why = " (it switches off escaping)" if name in {"safe", "safeseq"} else ""
            problems.append(
                Problem(field_name, line, col, f"the |{name} filter is not allowed{why}")
            )
    return problems


def _unclosed(token: Token, source: str, field_name: str) -> list[Problem]:
    """`{{ name }` or `{% if x` left open: Django reads it as text (its tags end on their own
    line), but once MJML has joined lines it can swallow what follows up to another `}}`, so
    the compiled email would not parse. Refused here, at the opener."""
    if is_whole_tag(token.contents):
        return []  # a whole tag shown as text by {% verbatim %}
    problems = []
    for match in _OPENER.finditer(token.contents):
        opener = match.group()
        line, col = line_col(source, token.start + match.start())
        why = f"{opener} is not closed with {_CLOSER[opener]} on its line"
        hint = "to show the characters themselves, use {% templatetag %}"
        problems.append(Problem(field_name, line, col, f"{why}; {hint}"))
    return problems


def _argument_problem(argument: FilterArgument, source: str, field_name: str) -> Problem | None:
    why = filter_argument_problem(argument.filter_name, argument.argument)
    return Problem(field_name, *line_col(source, argument.start), why) if why else None
