"""The template engine staff-written emails run in: Django's, with its work bounded.

Only the allowed tags and filters exist (no libraries, nothing that reads files or settings);
every filter's arguments and result size are bounded, and `{% for %}` counts its iterations,
its output and the CPU time of the render, so no template and sample data can make one render
take more than MAX_RENDER_SECONDS or allocate without limit.

This module and its reading half, template_syntax.py, are the one place that knows Django's
template internals: here `Engine.template_builtins`, `ForNode` and what a parse error is. The
rest of the app goes through this interface:

| name | for |
| --- | --- |
| `HTML_ENGINE`, `TEXT_ENGINE`, `make_engine` | rendering (Django's public `Template.render`) |
| `ALLOWED_TAGS`, `ALLOWED_FILTERS` | what validation lets through |
| `template_tokens`, `is_whole_tag` | checks before parsing |
| `read_template` | does it parse (where not), and which variables and filter arguments it reads |

(bounds.py takes the tokens from template_syntax itself: the sandbox reads its limits there.)
"""

import functools
import time

from django.template import Library, TemplateSyntaxError
from django.template.defaultfilters import register as default_filters
from django.template.defaulttags import ForNode, do_for
from django.template.defaulttags import register as default_tags
from django.template.engine import Engine
from django.utils.safestring import mark_safe

from . import localize
from .bounds import (
    MAX_LOOP_ITERATIONS,
    MAX_OUTPUT_CHARS,
    MAX_RENDER_SECONDS,
    MAX_VALUE_CHARS,
    filter_argument_problem,
)
from .exceptions import TemplateBoundError
from .formatted_once import FORMATTED_ONCE, formatted_once
from .template_syntax import (
    FilterArgument,
    Read,
    TemplateUnparsableError,
    Token,
    TokenKind,
    VariableUse,
    is_whole_tag,
    syntax_error_start,
    template_reads,
    template_tokens,
)

__all__ = [
    "ALLOWED_FILTERS",
    "ALLOWED_TAGS",
    "HTML_ENGINE",
    "TEXT_ENGINE",
    "Budget",
    "FilterArgument",
    "Read",
    "TemplateUnparsableError",
    "Token",
    "TokenKind",
    "VariableUse",
    "is_whole_tag",
    "make_engine",
    "read_template",
    "template_tokens",
]

ALLOWED_TAGS = {
    "if",
    "elif",
    "else",
    "endif",
    "for",
    "empty",
    "endfor",
    "with",
    "endwith",
    "comment",
    "endcomment",
    "firstof",
    "cycle",
    "now",
    "spaceless",
    "endspaceless",
    "filter",
    "endfilter",
    "verbatim",
    "endverbatim",
    "templatetag",
}
ALLOWED_FILTERS = {
    "add",
    "capfirst",
    "center",
    "cut",
    "date",
    "default",
    "default_if_none",
    "divisibleby",
    "escape",
    "filesizeformat",
    "first",
    "floatformat",
    "force_escape",
    "iriencode",
    "join",
    "last",
    "length",
    "linebreaks",
    "linebreaksbr",
    "ljust",
    "lower",
    "pluralize",
    "rjust",
    "slice",
    "slugify",
    "stringformat",
    "striptags",
    "time",
    "timesince",
    "timeuntil",
    "title",
    "truncatechars",
    "truncatewords",
    "upper",
    "urlencode",
    "urlize",
    "wordcount",
    "wordwrap",
    "yesno",
    "money",
}


class Budget:
    """What one render may still spend: loop iterations, loop output, CPU time."""

    def __init__(self):
        self.iterations = 0
        self.output = 0
        self.spends = 0
        self.deadline = time.thread_time() + MAX_RENDER_SECONDS

    @classmethod
    def of(cls, context) -> "Budget":
        budget = getattr(context, "_mail_budget", None)
        if budget is None:
            budget = cls()
            context._mail_budget = budget
        return budget

    def loop(self, count: int, token: str) -> None:
        self.iterations += count
        if self.iterations > MAX_LOOP_ITERATIONS:
            raise TemplateBoundError(
                f"loops would run more than {MAX_LOOP_ITERATIONS:,} times in one email; "
                "nest fewer loops or use less data",
                token=token,
            )

    def spend(self, chars: int, token: str) -> None:
        self.output += chars
        if self.output > MAX_OUTPUT_CHARS:
            raise TemplateBoundError(
                f"loops produce more than {MAX_OUTPUT_CHARS:,} characters", token=token
            )
        self.spends += 1
        # The clock every 32nd part: reading it for each part cost 5 % of a render, and no
        # part can run long on its own (its own loops spend too, filters are bounded).
        if not self.spends % 32 and time.thread_time() > self.deadline:
            raise TemplateBoundError(
                f"rendering took more than {MAX_RENDER_SECONDS:g} s of CPU", token=token
            )


class BoundedForNode(ForNode):
    """`{% for %}` as Django runs it, charging every iteration and its output to the budget."""

    def render(self, context):
        budget = Budget.of(context)
        token = "{% " + self.token.contents + " %}" if self.token else "{% for %}"
        parentloop = context.get("forloop", {})
        with context.push():
            values = self.sequence.resolve(context, ignore_failures=True)
            values = [] if values is None else values
            if not hasattr(values, "__len__"):
                values = list(values)
            count = len(values)
            if count < 1:
                return self.nodelist_empty.render(context)
            budget.loop(count, token)
            loop = context["forloop"] = {"parentloop": parentloop, "length": count}
            parts: list[str] = []
            for index, item in enumerate(reversed(values) if self.is_reversed else values):
                loop.update(
                    counter0=index,
                    counter=index + 1,
                    revcounter=count - index,
                    revcounter0=count - index - 1,
                    first=index == 0,
                    last=index == count - 1,
                )
                self._bind(context, item, token)
                for node in self.nodelist_loop:
                    part = node.render_annotated(context)
                    budget.spend(len(part), token)
                    parts.append(part)
                if len(self.loopvars) > 1:
                    context.pop()
        return mark_safe("".join(parts))

    def _bind(self, context, item, token: str) -> None:
        if len(self.loopvars) == 1:
            context[self.loopvars[0]] = item
            return
        if not isinstance(item, list | tuple) or len(item) != len(self.loopvars):
            raise TemplateBoundError(
                f"each item needs {len(self.loopvars)} values to unpack", token=token
            )
        context.update(dict(zip(self.loopvars, item, strict=True)))


def _bounded_for(parser, token):
    node = do_for(parser, token)
    return BoundedForNode(
        node.loopvars, node.sequence, node.is_reversed, node.nodelist_loop, node.nodelist_empty
    )


def _bounded_filter(name: str, func):
    bounded = _bounded_call(name, func)
    return formatted_once(name, bounded) if name in FORMATTED_ONCE else bounded


def _bounded_call(name: str, func):
    @functools.wraps(func)
    def bounded(value, *args, **kwargs):
        if args and (why := filter_argument_problem(name, args[0])):
            raise TemplateBoundError(why, token=f"|{name}")
        try:
            result = func(value, *args, **kwargs)
        # AttributeError: Django's timesince and timeuntil read `.year` off any value.
        except (ArithmeticError, ValueError, TypeError, AttributeError) as error:
            raise TemplateBoundError(f"|{name} failed: {error}", token=f"|{name}") from error
        if isinstance(result, str | list | tuple) and len(result) > MAX_VALUE_CHARS:
            raise TemplateBoundError(
                f"|{name} made a value of {len(result):,} characters (at most {MAX_VALUE_CHARS:,})",
                token=f"|{name}",
            )
        return result

    return bounded


def _tags() -> Library:
    library = Library()
    library.tags.update({n: f for n, f in default_tags.tags.items() if n in ALLOWED_TAGS})
    library.tags["for"] = _bounded_for
    return library


def _filters() -> Library:
    library = Library()
    for name, func in {**default_filters.filters, **localize.FILTERS}.items():
        if name in ALLOWED_FILTERS:
            library.filters[name] = _bounded_filter(name, func)
    return library


def make_engine(*, autoescape: bool, debug: bool = False) -> Engine:
    """A template engine that knows only the allowed tags and filters, and no libraries."""
    engine = Engine(debug=debug, autoescape=autoescape, libraries={})
    engine.template_builtins = [_tags(), _filters()]
    engine.template_libraries = {}
    return engine


HTML_ENGINE = make_engine(autoescape=True)
TEXT_ENGINE = make_engine(autoescape=False)
# Parses as the engines above do, with debug on so that nodes and errors carry their place.
_READING_ENGINE = make_engine(autoescape=True, debug=True)


def read_template(source: str) -> list[Read]:
    """What `source` reads, in template order (`template_reads`), parsed as a render parses it;
    raises `TemplateUnparsableError` (why, and where) when it does not parse."""
    try:
        template = _READING_ENGINE.from_string(source)
    except (TemplateSyntaxError, ValueError, OverflowError, RecursionError) as error:
        why = str(error) or type(error).__name__
        raise TemplateUnparsableError(why, start=syntax_error_start(error)) from error
    return template_reads(template.nodelist)
