"""MJML is compiled once per version; a send only renders the stored HTML and text.

`compile_version` turns layout + template into HTML and a text alternative (or raises with
every problem found); `render` fills a version's stored HTML, text and subject with a
recipient's plain-data context, autoescaped, using templates parsed once per process.
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from html.parser import HTMLParser

import css_inline
from django.template import Context
from django.template.base import (
    Lexer,
    TextNode,
    TokenType,
    Variable,
    VariableNode,
    render_value_in_context,
)
from django.template.defaulttags import ForNode, IfNode

from mjml import mjml2html

from .exceptions import Problem, TemplateInvalidError
from .validation import (
    CONTENT_TAG,
    MAX_HTML_BYTES,
    check_declarations,
    check_django,
    check_mjml,
    line_col,
    make_engine,
)

HTML_ENGINE = make_engine(autoescape=True)
TEXT_ENGINE = make_engine(autoescape=False)
_POSITION = re.compile(r"position (\d+):(\d+)")


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


@dataclass(frozen=True)
class Compiled:
    html: str
    text: str


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


def combine(layout_mjml: str, body: str) -> tuple[str, int]:
    """The layout with the body in place of <mj-content/>, and where the body starts."""
    match = CONTENT_TAG.search(layout_mjml)
    return layout_mjml[: match.start()] + body + layout_mjml[match.end() :], match.start()


_BLOCK_TAG = re.compile(r"{%.*?%}", re.S)
_INLINE_STYLE = re.compile(r"<mj-style\s+inline=\"inline\"\s*>(.*?)</mj-style\s*>", re.S)


def compile_mjml(document: str) -> str:
    """MJML to HTML; `<mj-style inline="inline">` rules are inlined as MJML does (MRML won't)."""
    inline_css = "\n".join(_INLINE_STYLE.findall(document))
    if not inline_css:
        return mjml2html(document, disable_comments=True)
    html = mjml2html(_INLINE_STYLE.sub("", document), disable_comments=True)
    inliner = css_inline.CSSInliner(
        extra_css=inline_css,
        inline_style_tags=False,
        keep_style_tags=True,
        load_remote_stylesheets=False,
    )
    # The HTML parser behind inlining moves text found between table rows out of the table;
    # template tags are parked in comments (which stay put) and restored afterwards.
    tags: list[str] = []

    def park(match: re.Match) -> str:
        tags.append(match.group(0))
        return f"<!--tag{len(tags) - 1}-->"

    inlined = inliner.inline(_BLOCK_TAG.sub(park, html))
    for index, tag in enumerate(tags):
        for parked in (f"<!--tag{index}-->", f"&lt;!--tag{index}--&gt;"):
            inlined = inlined.replace(parked, tag)
    return inlined


def _template_tokens(text: str) -> list[str]:
    return [t.contents for t in Lexer(text).tokenize() if t.token_type != TokenType.TEXT]


def _compile_problem(error: ValueError, document: str, body: str, start: int) -> Problem:
    match = _POSITION.search(str(error))
    offset = int(match.group(1)) if match else 0
    if start <= offset < start + len(body):
        return Problem("mjml", *line_col(body, offset - start), f"MJML does not compile: {error}")
    return Problem("layout", *line_col(document, offset), f"MJML does not compile: {error}")


def compile_version(source: Source) -> Compiled:
    """Validate everything, compile the MJML once and derive the text; raise on any problem."""
    problems, parent = check_mjml(
        source.layout_mjml, field_name="layout", root_parent=None, layout=True
    )
    problems += check_mjml(source.mjml, field_name="mjml", root_parent=parent, layout=False)[0]
    problems += check_declarations(source.variables, source.sample_context)
    declared = set(source.variables) if isinstance(source.variables, list) else set()
    sample = source.sample_context if isinstance(source.sample_context, dict) else {}
    fields = {"subject": source.subject, "preheader": source.preheader, "mjml": source.mjml}
    if source.text_body.strip():
        fields["text_body"] = source.text_body
    for name, text in fields.items():
        problems += check_django(text, field_name=name, declared=declared, sample=sample)
    problems += check_django(source.layout_mjml, field_name="layout", declared=set(), sample={})
    if "\n" in source.subject:
        problems.append(Problem("subject", 1, 1, "the subject must be one line"))
    if problems:
        raise TemplateInvalidError(problems)
    document, start = combine(source.layout_mjml, source.mjml)
    try:
        html = compile_mjml(document)
    except ValueError as error:
        raise TemplateInvalidError(
            [_compile_problem(error, document, source.mjml, start)]
        ) from error
    _check_inlining(html, document)
    text = source.text_body if source.text_body.strip() else html_to_text(html)
    compiled = Compiled(html=html, text=text)
    _check_size(compiled, source)
    return compiled


def _check_inlining(html: str, document: str) -> None:
    # Inlining re-parses the HTML; a tag between table rows would be moved out of the table.
    if _INLINE_STYLE.search(document) and _template_tokens(html) != _template_tokens(
        mjml2html(_INLINE_STYLE.sub("", document), disable_comments=True)
    ):
        raise TemplateInvalidError(
            [Problem("mjml", 1, 1, "with <mj-style inline=\"inline\">, template tags must sit "
                     "inside text or <mj-raw>, not between table rows")]
        )  # fmt: skip


def _check_size(compiled: Compiled, source: Source) -> None:
    html = HTML_ENGINE.from_string(compiled.html).render(
        Context({**system_sample(), **source.sample_context})
    )
    size = len(html.encode())
    if size > MAX_HTML_BYTES:
        raise TemplateInvalidError(
            [Problem("mjml", 1, 1, f"the email is {size // 1024} KB of HTML; Gmail clips "
                     f"emails over {MAX_HTML_BYTES // 1024} KB, so shorten it")]
        )  # fmt: skip


# --- text alternative ----------------------------------------------------------------------

_BLOCK = {"p", "div", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol"}
_SKIP = {"head", "style", "title", "script"}


class _TextMaker(HTMLParser):
    """HTML to readable text: block breaks kept, links as 'label (url)', hidden parts dropped."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.stack: list[tuple[str, bool]] = []
        self.links: list[tuple[str, int]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        hidden = tag in _SKIP or "display:none" in (attrs.get("style") or "").replace(" ", "")
        if tag not in {"br", "img", "meta", "link", "hr", "input"}:
            self.stack.append((tag, hidden))
            self.skip_depth += hidden
        if self.skip_depth:
            return
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCK or tag in ("td", "th"):
            self.parts.append("\n" if tag in _BLOCK else " ")
        if tag == "a":
            self.links.append((attrs.get("href") or "", len(self.parts)))

    def handle_endtag(self, tag):
        while self.stack:
            name, hidden = self.stack.pop()
            self.skip_depth -= hidden
            if name == tag:
                break
        if self.skip_depth:
            return
        if tag == "a" and self.links:
            href, at = self.links.pop()
            label = "".join(self.parts[at:]).strip()
            if href and href != label and not href.startswith("#"):
                self.parts.append(f" ({href})" if label else href)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip_depth:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """Derive the plain-text alternative; Django template tags in it pass through untouched."""
    maker = _TextMaker()
    maker.feed(html)
    maker.close()
    lines = [line.strip() for line in "".join(maker.parts).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


# --- rendering -----------------------------------------------------------------------------


_MISSING = object()


def _lookup(data, lookups):
    for part in lookups:
        if isinstance(data, dict):
            data = data.get(part, _MISSING)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return _MISSING
        if data is _MISSING:
            return data
    return data


TEXT, VAR, NODE, IF, FOR = range(5)


def _simple_var(expression) -> tuple[str, ...] | None:
    """The lookups of `{{ a.b }}` with no filters, else None."""
    var = getattr(expression, "var", None)
    if expression is None or expression.filters or not isinstance(var, Variable):
        return None
    return var.lookups or None


class FastTemplate:
    """A parsed Django template rendered as a flat program over plain data.

    Text runs are joined as they are, plain `{{ a.b }}` variables are looked up in the dicts
    directly (escaped with `html.escape`, exactly as Django's `escape`), and `{% if a.b %}` /
    `{% for x in a.b %}` on plain variables are run directly; any other node (filters,
    comparisons, with, ...) is rendered by Django itself. Same output, a fraction of the
    per-node overhead, which is what makes a send cheaper than an MJML compile.
    """

    def __init__(self, source: str, *, autoescape: bool):
        engine = HTML_ENGINE if autoescape else TEXT_ENGINE
        self.template = engine.from_string(source)
        self.autoescape = autoescape
        self.program = self._compile(self.template.nodelist)

    def _compile(self, nodelist) -> list:
        program: list[tuple[int, object]] = []
        for node in nodelist:
            step = self._step(node)
            if step[0] == TEXT and program and program[-1][0] == TEXT:
                program[-1] = (TEXT, program[-1][1] + step[1])
            else:
                program.append(step)
        return program

    def _step(self, node) -> tuple[int, object]:
        if isinstance(node, TextNode):
            return TEXT, node.s
        if isinstance(node, VariableNode) and (lookups := _simple_var(node.filter_expression)):
            return VAR, lookups
        if isinstance(node, IfNode):
            branches = []
            for condition, nodelist in node.conditions_nodelists:
                if condition is not None and type(condition).__name__ != "TemplateLiteral":
                    return NODE, node  # and, or, not, comparisons: Django evaluates those
                lookups = () if condition is None else _simple_var(condition.value)
                if lookups is None:
                    return NODE, node
                branches.append((lookups, self._compile(nodelist)))
            return IF, branches
        if (
            isinstance(node, ForNode)
            and len(node.loopvars) == 1
            and not node.is_reversed
            and (lookups := _simple_var(node.sequence))
        ):
            empty = self._compile(node.nodelist_empty or [])
            return FOR, (lookups, node.loopvars[0], self._compile(node.nodelist_loop), empty)
        return NODE, node

    def render(self, data: dict) -> str:
        parts: list[str] = []
        self._run(self.program, data, parts)
        return "".join(parts)

    def _run(self, program, data, parts) -> None:
        for kind, payload in program:
            if kind == TEXT:
                parts.append(payload)
            elif kind == VAR:
                self._value(_lookup(data, payload), data, parts)
            elif kind == IF:
                for lookups, branch in payload:
                    value = _lookup(data, lookups) if lookups else True
                    if value is not _MISSING and value:
                        self._run(branch, data, parts)
                        break
            elif kind == FOR:
                self._loop(payload, data, parts)
            else:
                parts.append(self._node(payload, data))

    def _value(self, value, data, parts) -> None:
        if isinstance(value, str):
            parts.append(escape(value) if self.autoescape else value)
        elif value is not _MISSING:
            context = Context(data, autoescape=self.autoescape)
            parts.append(str(render_value_in_context(value, context)))

    def _loop(self, payload, data, parts) -> None:
        lookups, name, body, empty = payload
        items = _lookup(data, lookups)
        items = items if isinstance(items, list) else []
        count = len(items)
        for index, item in enumerate(items):
            forloop = {"counter": index + 1, "counter0": index, "first": index == 0,
                       "last": index == count - 1, "revcounter": count - index,
                       "revcounter0": count - index - 1}  # fmt: skip
            self._run(body, {**data, name: item, "forloop": forloop}, parts)
        if not count:
            self._run(empty, data, parts)

    def _node(self, node, data) -> str:
        context = Context(data, autoescape=self.autoescape)
        with context.render_context.push_state(self.template), context.bind_template(self.template):
            return str(node.render_annotated(context))


@lru_cache(maxsize=512)
def _templates(version_id: int, subject: str, preheader: str, html: str, text: str):
    return (
        FastTemplate(subject, autoescape=False),
        FastTemplate(preheader, autoescape=False),
        FastTemplate(html, autoescape=True),
        FastTemplate(text, autoescape=False),
    )


def render(version, context: dict) -> Rendered:
    """Subject, HTML and text of a version for one recipient's context (already plain data).

    `preheader` in the context is filled from the version's own preheader first.
    """
    subject_t, preheader_t, html_t, text_t = _templates(
        version.pk, version.subject, version.preheader, version.compiled_html, version.text_body
    )
    context = {**context, "preheader": " ".join(preheader_t.render(context).split())}
    return Rendered(
        subject=" ".join(subject_t.render(context).split()),
        html=html_t.render(context),
        text=text_t.render(context),
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
    }
