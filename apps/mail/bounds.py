"""How much work a template may ask for, checked before MRML or the template engine sees it.

Any staff member (a Viewer included) can post a preview, so everything typed in the studio is
hostile input: MRML crashes the whole process (SIGSEGV) on very deep markup, Django's parser
and our own walkers recurse once per nested tag, and filters such as `center` allocate
whatever width they are given. Each check here is linear in the source and returns problems
at their line and column, so the editor can point at the cause.
"""

import json
import re

from apps.text_input import is_poisoned, poison_in, poison_message

from .exceptions import Problem
from .qa.document import VOID  # a leaf module: the HTML void elements
from .template_syntax import Token, TokenKind, template_tokens  # not via sandbox: it imports us

# Sizes of what staff type (characters). The HTML an email becomes is capped separately
# (MAX_HTML_BYTES, Gmail's clip), so the sources need no more room than that.
MAX_MJML_CHARS = 100_000
MAX_TEXT_CHARS = 102 * 1024
MAX_LINE_CHARS = 255  # subject and preheader: the columns are 255 characters
MAX_JSON_CHARS = 64 * 1024  # sample data, declared variables, a posted test context
MAX_VARIABLES = 200

# Nesting. MRML segfaults somewhere past 8,000 nested elements; real emails stay under 30.
MAX_MARKUP_DEPTH = 64
MAX_TAG_DEPTH = 16  # {% if %} / {% for %} / {% with %} ... inside each other
MAX_JSON_DEPTH = 20
MAX_CONDITION_TERMS = 24  # and/or/not/comparisons in one {% if %}

# Work while rendering (enforced by apps.mail.sandbox).
MAX_LOOP_ITERATIONS = 10_000  # all {% for %} iterations of one render together
MAX_OUTPUT_CHARS = 2_000_000  # what loop bodies may produce in one render
MAX_VALUE_CHARS = 100_000  # one filter's result
MAX_FILTER_WIDTH = 1_000  # center/ljust/rjust/wordwrap widths, stringformat widths
MAX_FLOAT_DIGITS = 20
MAX_RENDER_SECONDS = 2.0  # CPU seconds of one render

MAX_PROBLEMS = 50  # more findings than this are summarised, not listed

# MJML's own empty elements count as HTML's void ones: they never open a level.
_VOID = VOID | {"mj-all", "mj-breakpoint", "mj-font", "mj-content"}
_MARKUP = re.compile(
    r"<!--.*?(?:-->|\Z)|<!\[CDATA\[.*?(?:]]>|\Z)|<(/?)([a-zA-Z][\w:.-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>",
    re.S,
)
_OPENERS = {
    "if": "endif",
    "for": "endfor",
    "with": "endwith",
    "comment": "endcomment",
    "spaceless": "endspaceless",
    "filter": "endfilter",
    "verbatim": "endverbatim",
    "block": "endblock",
    "autoescape": "endautoescape",
    "ifchanged": "endifchanged",
}
_CONDITION_TERM = re.compile(r"(?<![\w.])(?:and|or|not|in|is)(?![\w.])|==|!=|<=|>=|<|>")


def line_col(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def size_problems(fields: dict[str, str], limits: dict[str, int]) -> list[Problem]:
    """A problem for each field longer than its limit (characters)."""
    problems = []
    for name, text in fields.items():
        limit = limits[name]
        if len(text) > limit:
            problems.append(
                Problem(name, 1, 1, f"this is {len(text):,} characters; the limit is {limit:,}")
            )
    return problems


def markup_depth_problem(source: str, *, field_name: str) -> Problem | None:
    """Where elements (MJML or HTML, at any level) nest deeper than MAX_MARKUP_DEPTH."""
    depth = 0
    for match in _MARKUP.finditer(source):
        closing, name = match.group(1), match.group(2)
        if name is None or match.group(0).endswith("/>") or name.lower() in _VOID:
            continue
        if closing:
            depth = max(0, depth - 1)
            continue
        depth += 1
        if depth > MAX_MARKUP_DEPTH:
            line, col = line_col(source, match.start())
            return Problem(
                field_name,
                line,
                col,
                f"elements nest more than {MAX_MARKUP_DEPTH} levels deep "
                f"here; flatten the markup (emails never need this depth)",
            )
    return None


def template_depth_problems(source: str, *, field_name: str) -> list[Problem]:
    """Template tags nested deeper than MAX_TAG_DEPTH, and over-long {% if %} conditions."""
    problems: list[Problem] = []
    open_tags: list[str] = []
    for token in template_tokens(source):
        if token.kind != TokenKind.BLOCK:
            continue
        bits = token.contents.split()
        command = bits[0] if bits else ""
        if command in ("if", "elif") and len(_CONDITION_TERM.findall(token.contents)) > (
            MAX_CONDITION_TERMS
        ):
            problems.append(
                _at(
                    source,
                    token,
                    field_name,
                    f"this condition has more than {MAX_CONDITION_TERMS} terms; split it",
                )
            )
        if command in _OPENERS:
            open_tags.append(_OPENERS[command])
            if len(open_tags) > MAX_TAG_DEPTH:
                problems.append(
                    _at(
                        source,
                        token,
                        field_name,
                        f"template tags nest more than {MAX_TAG_DEPTH} levels deep here",
                    )
                )
                return problems
        elif command in open_tags:
            while open_tags and open_tags.pop() != command:
                pass
    return problems


def _at(source: str, token: Token, field_name: str, message: str) -> Problem:
    return Problem(field_name, *line_col(source, token.start), message)


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.S)


def json_text_problem(text: str, *, field_name: str) -> Problem | None:
    """Refuse JSON too long or too deep before `json.loads` recurses into it."""
    if len(text) > MAX_JSON_CHARS:
        return Problem(
            field_name,
            1,
            1,
            f"this is {len(text):,} characters of JSON; the limit is {MAX_JSON_CHARS:,}",
        )
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        char = match.group(0)
        if char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return Problem(
                    field_name,
                    *line_col(text, match.start()),
                    f"the JSON nests more than {MAX_JSON_DEPTH} levels deep here",
                )
        elif char in "]}":
            depth -= 1
    return None


def data_depth(value) -> int:
    """How deeply lists and dicts nest in plain data.

    Iterative, so no depth of data can exhaust the recursion limit.
    """
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list | tuple):
            deepest = max(deepest, depth)
            if depth <= MAX_JSON_DEPTH:
                stack.extend((child, depth + 1) for child in item)
    return deepest


def data_problems(value, *, field_name: str, text: str = "") -> list[Problem]:
    """Plain data (sample data, a posted context) too deep to render safely, or unstorable
    (a NUL or a lone surrogate in a key or a value: PostgreSQL refuses it in JSON). Given the
    JSON `text` it was parsed from, the problem points at the string that holds it."""
    if data_depth(value) > MAX_JSON_DEPTH:
        return [Problem(field_name, 1, 1, f"the data nests more than {MAX_JSON_DEPTH} levels")]
    where = poison_in(value, field_name)  # safe: the depth is bounded just above
    if where is None:
        return []
    line, column = _poisoned_string(text)
    return [Problem(field_name, line, column, poison_message(where))]


def _poisoned_string(text: str) -> tuple[int, int]:
    """Line and column of the first JSON string in `text` that decodes to unstorable text
    (an escape such as \\u0000 or an unpaired \\ud800); a paired surrogate is fine."""
    for match in _JSON_TOKEN.finditer(text):
        token = match.group(0)
        if token.startswith('"') and _decodes_poisoned(token):
            return line_col(text, match.start())
    return 1, 1


def _decodes_poisoned(token: str) -> bool:
    try:
        return is_poisoned(json.loads(token))
    except ValueError:  # an unterminated string: the parser has refused the text already
        return False


def text_problems(fields: dict[str, str]) -> list[Problem]:
    """A problem at the first NUL or lone surrogate of each text field (MJML, subject...)."""
    problems = []
    for name, text in fields.items():
        if is_poisoned(text):
            offset = next(i for i, char in enumerate(text) if is_poisoned(char))
            problems.append(Problem(name, *line_col(text, offset), poison_message(name)))
    return problems


_NUMBER = re.compile(r"\d+")


def filter_argument_problem(name: str, argument) -> str | None:
    """Why a filter argument asks for too much work, or None when it is within bounds."""
    if name in ("center", "ljust", "rjust", "wordwrap"):
        try:
            width = int(argument)
        except (TypeError, ValueError):
            return f"|{name} needs a whole number, not {str(argument)[:20]!r}"
        if not (0 if name != "wordwrap" else 1) <= width <= MAX_FILTER_WIDTH:
            return f"|{name}:{width} is out of range (at most {MAX_FILTER_WIDTH})"
    elif name == "stringformat" and any(
        int(n) > MAX_FILTER_WIDTH for n in _NUMBER.findall(str(argument)[:50])
    ):
        return f"|stringformat widths and precisions go up to {MAX_FILTER_WIDTH}"
    elif name == "floatformat" and any(
        int(n) > MAX_FLOAT_DIGITS for n in _NUMBER.findall(str(argument)[:50])
    ):
        return f"|floatformat shows at most {MAX_FLOAT_DIGITS} decimal places"
    return None


def capped(problems: list[Problem]) -> list[Problem]:
    """At most MAX_PROBLEMS findings, the rest summarised in one line."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    rest = len(problems) - MAX_PROBLEMS
    last = problems[MAX_PROBLEMS - 1]
    return [
        *problems[:MAX_PROBLEMS],
        Problem(last.field, last.line, last.column, f"... and {rest} more problems"),
    ]
