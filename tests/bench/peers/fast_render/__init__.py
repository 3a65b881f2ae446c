"""The home-made FastTemplate that rendered sends until the render was unified (issue 10.5).

Kept only as a benchmark contender: `test_bench_render_engine.py` measures the delivery rate
and the render rate with it and with Django's own engine (what `apps.mail.rendering.render`
uses) in the same run. `install()` swaps it in for a consumer started with
`--settings=tests.bench.peers.fast_render.settings`.
"""

from functools import lru_cache
from html import escape

from django.template import Context
from django.template.base import TextNode, Variable, VariableNode, render_value_in_context
from django.template.defaulttags import ForNode, IfNode

from apps.mail.rendering import Rendered
from apps.mail.sandbox import HTML_ENGINE, TEXT_ENGINE, Budget

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
        self._run(self.program, data, parts, Budget())
        return "".join(parts)

    def _run(self, program, data, parts, budget) -> None:
        for kind, payload in program:
            if kind == TEXT:
                parts.append(payload)
            elif kind == VAR:
                self._value(_lookup(data, payload), data, parts)
            elif kind == IF:
                for lookups, branch in payload:
                    value = _lookup(data, lookups) if lookups else True
                    if value is not _MISSING and value:
                        self._run(branch, data, parts, budget)
                        break
            elif kind == FOR:
                self._loop(payload, data, parts, budget)
            else:
                parts.append(self._node(payload, data, budget))

    def _value(self, value, data, parts) -> None:
        if isinstance(value, str):
            parts.append(escape(value) if self.autoescape else value)
        elif value is not _MISSING:
            context = Context(data, autoescape=self.autoescape)
            parts.append(str(render_value_in_context(value, context)))

    def _loop(self, payload, data, parts, budget) -> None:
        lookups, name, body, empty = payload
        items = _lookup(data, lookups)
        items = items if isinstance(items, list) else []
        count = len(items)
        token = "{% for " + name + " in " + ".".join(lookups) + " %}"
        budget.loop(count, token)
        for index, item in enumerate(items):
            start = len(parts)
            forloop = {
                "counter": index + 1,
                "counter0": index,
                "first": index == 0,
                "last": index == count - 1,
                "revcounter": count - index,
                "revcounter0": count - index - 1,
            }
            self._run(body, {**data, name: item, "forloop": forloop}, parts, budget)
            budget.spend(sum(len(p) for p in parts[start:]), token)
        if not count:
            self._run(empty, data, parts, budget)

    def _node(self, node, data, budget) -> str:
        context = Context(data, autoescape=self.autoescape)
        context._mail_budget = budget
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
    """The render of sends as it was with FastTemplate (subject, preheader, HTML, text)."""
    subject_t, preheader_t, html_t, text_t = _templates(
        version.pk, version.subject, version.preheader, version.compiled_html, version.text_body
    )
    context = {**context, "language": version.language}  # as apps.mail.rendering fills it in
    preheader = " ".join(preheader_t.render(context).split())
    context = {**context, "preheader": preheader}
    return Rendered(
        subject=" ".join(subject_t.render(context).split()),
        preheader=preheader,
        html=html_t.render(context),
        text=text_t.render(context),
    )


def install() -> None:
    """Sends render with FastTemplate in this process (benchmark only)."""
    from apps.mail.services import personalize

    personalize.render = render
