"""MJML is compiled once per version; a send only renders the stored HTML and text.

`compile_version` turns layout + template into HTML and a text alternative (or raises with
every problem found, each at its field, line and column); `render` fills a version's stored
HTML, text and subject with a recipient's plain-data context, autoescaped, using templates
parsed once per process. Everything staff type is bounded first (`bounds`), MRML runs in a
child process (`mjml_compile`) and templates render in the bounded engine (`sandbox`).

Why Django's engine and not the home-made FastTemplate that rendered sends before: measured in
one run (tests/bench/test_bench_render_engine.py), FastTemplate renders usage_report 2.6x as
fast (0.26 ms vs 0.67 ms on a loaded machine), but the delivery rate of the same emails to
an SMTP sink is within noise (0.97x), because a send is dominated by the MIME message, the
database and SMTP. One engine, Django's, with its bounds in one adapter. Django's render was
then 15.8x node mjml's compile (>= 10x required, tests/bench/test_bench_render.py); since
emails format their figures in the recipient's language it is about 6x (2,030 renders/s
against node's 330-360 on an idle machine, with each figure formatted once per email:
formatted_once.py), below that target, and still about 10x what delivery sends a second.
"""

import re
import textwrap
from dataclasses import dataclass
from functools import lru_cache

from django.template import Context, TemplateSyntaxError
from django.utils import translation

from . import bounds
from .exceptions import Problem, TemplateBoundError, TemplateInvalidError
from .formatted_once import one_email
from .mjml_compile import CompileLimitError, compile_isolated
from .safety import rendered_problems
from .sandbox import HTML_ENGINE, TEXT_ENGINE, TokenKind, template_tokens
from .text import html_to_text
from .validation import CONTENT_TAG, MAX_HTML_BYTES, line_col, validate_source

__all__ = ["HTML_ENGINE", "TEXT_ENGINE", "html_to_text"]

_POSITION = re.compile(r"position (\d+):(\d+)")
_INLINE_STYLE = re.compile(r"<mj-style\s+inline=\"inline\"\s*>", re.S)


@dataclass(frozen=True)
class Source:
    """Everything a version is made of, as plain values."""

    layout_mjml: str
    subject: str
    preheader: str
    mjml: str
    text_body: str
    variables: list
    sample_context: dict
    language: str = "en"  # the language this text is in (a translation's, or the default)

    def fields(self) -> dict[str, str]:
        """The text fields, by the name problems use, in the order they are searched."""
        return {
            "mjml": self.mjml,
            "text_body": self.text_body,
            "subject": self.subject,
            "preheader": self.preheader,
            "layout": self.layout_mjml,
        }


@dataclass(frozen=True)
class Compiled:
    html: str
    text: str


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str
    preheader: str = ""


def combine(layout_mjml: str, body: str) -> tuple[str, int]:
    """The layout with the body in place of <mj-content/>, and where the body starts."""
    match = CONTENT_TAG.search(layout_mjml)
    return layout_mjml[: match.start()] + body + layout_mjml[match.end() :], match.start()


def _template_tokens(text: str) -> list[str]:
    return [t.contents for t in template_tokens(text) if t.kind != TokenKind.TEXT]


def _compile_problem(error: ValueError, source: Source, document: str, start: int) -> Problem:
    body = source.mjml
    match = _POSITION.search(str(error))
    if match is None:
        # MRML gave no position: the template is at fault if the layout compiles without it.
        layout_alone, _ = combine(source.layout_mjml, "")
        try:
            compile_isolated(layout_alone)
        except ValueError:
            return Problem("layout", 1, 1, f"MJML does not compile: {error}")
        return Problem("mjml", 1, 1, f"MJML does not compile: {error}")
    offset = int(match.group(1))
    if start <= offset < start + len(body):
        return Problem("mjml", *line_col(body, offset - start), f"MJML does not compile: {error}")
    return Problem("layout", *line_col(document, offset), f"MJML does not compile: {error}")


_LIMITS = {
    "mjml": bounds.MAX_MJML_CHARS,
    "layout": bounds.MAX_MJML_CHARS,
    "text_body": bounds.MAX_TEXT_CHARS,
    "subject": bounds.MAX_LINE_CHARS,
    "preheader": bounds.MAX_LINE_CHARS,
}


def bound_problems(source: Source) -> list[Problem]:
    """What would make validating, compiling or rendering `source` too much work."""
    fields = source.fields()
    problems = bounds.size_problems(fields, _LIMITS)
    if isinstance(source.variables, list) and len(source.variables) > bounds.MAX_VARIABLES:
        problems.append(Problem("variables", 1, 1, f"at most {bounds.MAX_VARIABLES} variables"))
    problems += bounds.data_problems(source.variables, field_name="variables")
    problems += bounds.data_problems(source.sample_context, field_name="sample_context")
    # A NUL or lone surrogate cannot be encoded, compiled or stored: refused at its field.
    problems += bounds.text_problems(fields)
    if problems:
        return problems
    for name in ("layout", "mjml"):
        if problem := bounds.markup_depth_problem(fields[name], field_name=name):
            problems.append(problem)
    for name, text in fields.items():
        problems += bounds.template_depth_problems(text, field_name=name)
    return problems


def compile_version(source: Source) -> Compiled:
    """Validate everything, compile the MJML once and derive the text; raise on any problem."""
    if problems := bound_problems(source):
        raise TemplateInvalidError(bounds.capped(problems))
    validate_source(source)
    document, start = combine(source.layout_mjml, source.mjml)
    try:
        html, uninlined = compile_isolated(document)
    except CompileLimitError as error:
        raise TemplateInvalidError([Problem("mjml", 1, 1, str(error))]) from error
    except ValueError as error:
        raise TemplateInvalidError([_compile_problem(error, source, document, start)]) from error
    _check_inlining(html, uninlined, document)
    text = source.text_body if source.text_body.strip() else html_to_text(html)
    compiled = Compiled(html=html, text=text)
    _check_size(compiled, source)
    return compiled


def _check_inlining(html: str, uninlined: str, document: str) -> None:
    # Inlining re-parses the HTML; a tag between table rows would be moved out of the table.
    if _INLINE_STYLE.search(document) and _template_tokens(html) != _template_tokens(uninlined):
        raise TemplateInvalidError(
            [
                Problem(
                    "mjml",
                    1,
                    1,
                    'with <mj-style inline="inline">, template tags must sit '
                    "inside text or <mj-raw>, not between table rows",
                )
            ]
        )


def unsaved_version(source: Source, compiled: Compiled):
    """A version as it would be saved (not saved): what `render` takes for a preview."""
    from .models import EmailTemplateVersion

    return EmailTemplateVersion(
        subject=source.subject,
        preheader=source.preheader,
        compiled_html=compiled.html,
        text_body=compiled.text,
        variables=source.variables,
        sample_context=source.sample_context,
        language=source.language,
    )


def bound_problem(error: TemplateBoundError, source: Source) -> Problem:
    """A render that asked for too much, placed at the template code that asked for it."""
    for name, text in source.fields().items():
        offset = text.find(error.token) if error.token else -1
        if offset >= 0:
            return Problem(name, *line_col(text, offset), str(error))
    return Problem("mjml", 1, 1, str(error))


def _check_size(compiled: Compiled, source: Source) -> None:
    draft = unsaved_version(source, compiled)
    try:
        rendered = render(draft, {**system_sample(), **source.sample_context})
    except TemplateBoundError as error:
        raise TemplateInvalidError([bound_problem(error, source)]) from error
    except TemplateSyntaxError as error:
        # The fields parse, but the compiled email does not (MJML moved template code across
        # lines in a way validation did not foresee): a problem, never an error page.
        why = textwrap.shorten(str(error), 200)
        raise TemplateInvalidError([Problem("mjml", 1, 1, f"the compiled email: {why}")]) from error
    html, text = rendered.html, rendered.text
    problems = [
        Problem("mjml", 1, 1, f"with the sample data filled in: {why}")
        for why in rendered_problems(html)
    ]
    size = len(html.encode())
    if size > MAX_HTML_BYTES:
        problems.append(
            Problem(
                "mjml",
                1,
                1,
                f"the email is {size // 1024} KB of HTML; Gmail "
                f"clips emails over {MAX_HTML_BYTES // 1024} KB, so shorten it",
            )
        )
    size = len(text.encode())
    if size > bounds.MAX_TEXT_CHARS:
        problems.append(
            Problem(
                "text_body",
                1,
                1,
                f"the plain text is {size // 1024} KB; at most {bounds.MAX_TEXT_CHARS // 1024} KB",
            )
        )
    if problems:
        raise TemplateInvalidError(problems)


# --- rendering: the one path for sends, the studio preview and the template preview --------


@lru_cache(maxsize=512)
def _parsed(subject: str, preheader: str, html: str, text: str) -> tuple:
    """A saved version's four templates, parsed once per process."""
    return _parse(subject, preheader, html, text)


def _parse(subject: str, preheader: str, html: str, text: str) -> tuple:
    return (
        TEXT_ENGINE.from_string(subject),
        TEXT_ENGINE.from_string(preheader),
        HTML_ENGINE.from_string(html),
        TEXT_ENGINE.from_string(text),
    )


def render(version, context: dict) -> Rendered:
    """Subject, preheader, HTML and text of a version for one context (already plain data).

    The one render: sends (`render_for`), the studio's live preview and the template preview
    all come here. `version` is a saved `EmailTemplateVersion` (its templates are parsed once
    per process) or an unsaved one built from an edit (parsed for this call only). Rendering
    is Django's own engine, bounded (`sandbox`); the module notes say why not FastTemplate.
    `preheader` (the version's own, rendered) and `language` (the version's) are filled in
    for the layout. Raises
    `TemplateBoundError` when the template asks for more work than a render may do.
    """
    sources = (version.subject, version.preheader, version.compiled_html, version.text_body)
    subject_t, preheader_t, html_t, text_t = _parsed(*sources) if version.pk else _parse(*sources)
    # Dates, numbers and money in the version's language (apps/mail/localize.py).
    with translation.override(version.language or None), one_email():
        return _render(
            subject_t, preheader_t, html_t, text_t, {**context, "language": version.language}
        )


def _render(subject_t, preheader_t, html_t, text_t, context: dict) -> Rendered:
    preheader = " ".join(preheader_t.render(Context(context, autoescape=False)).split())
    context["preheader"] = preheader
    return Rendered(
        subject=" ".join(subject_t.render(Context(context, autoescape=False)).split()),
        preheader=preheader,
        html=html_t.render(Context(context)),
        text=text_t.render(Context(context, autoescape=False)),
    )


def system_sample() -> dict:
    """Stand-ins for the values the engine provides, for previews and size checks."""
    from django.conf import settings

    return {
        "site_name": "SummaSaaS",
        "site_url": settings.SITE_URL,
        "preheader": "",
        "unsubscribe_url": f"{settings.SITE_URL}/email/unsubscribe/sample/",
        "preferences_url": f"{settings.SITE_URL}/email/preferences/sample/",
        "recipient_email": "ada@example.com",
        "current_year": 2026,
        "language": "en",
    }
