"""Template work is bounded: every bomb stops with a clear problem at its line, fast and small.

Each of these took a process down or tied it up before (issue 8, point 3): a SIGSEGV in MRML,
RecursionError (500), 30-45 s or 670 MB of work. Here each must be refused within a fraction
of the 2 s of CPU a preview may use, pointing at the line that asks for too much.
"""

import os
import time
import tracemalloc

import pytest

from apps.mail import bounds
from apps.mail.exceptions import TemplateInvalidError
from apps.mail.mjml_compile import CompileLimitError, compile_isolated, compile_mjml
from apps.mail.models import EmailTemplate, EmailTemplateVersion
from apps.mail.services import template_save

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]

CPU_BUDGET = 2.0
TEXT = "<mj-section><mj-column><mj-text>{}</mj-text></mj-column></mj-section>"


def nested(open_tag: str, close_tag: str, depth: int, inner: str = "x") -> str:
    return open_tag * depth + inner + close_tag * depth


def refused(changes: dict) -> list:
    """Save the welcome template with `changes`: it must be refused quickly, nothing stored."""
    template = EmailTemplate.objects.get(key="welcome")
    versions = EmailTemplateVersion.objects.count()
    for name, value in changes.items():
        setattr(template, name, value)
    started = time.process_time()
    with pytest.raises(TemplateInvalidError) as caught:
        template_save(template=template)
    assert time.process_time() - started < CPU_BUDGET
    assert EmailTemplateVersion.objects.count() == versions
    return caught.value.problems


BOMBS = {
    "10,000 nested divs in mj-text (MRML segfault)": (
        {"mjml": TEXT.format(nested("<div>", "</div>", 10_000))},
        ("mjml", 1, 1, "the limit is 100,000"),
    ),
    "8,000 nested divs (under the size limit)": (
        {"mjml": TEXT.format(nested("<b>", "</b>", 8_000))},
        ("mjml", 1, 33 + 3 * 61, "nest more than 64 levels"),
    ),
    "nested mj-section": (
        {"mjml": nested("<mj-section>", "</mj-section>", 3_000)},
        ("mjml", 1, 1 + 12 * 64, "nest more than 64 levels"),
    ),
    "nested mj-wrapper": (
        {"mjml": nested("<mj-wrapper>", "</mj-wrapper>", 3_000)},
        ("mjml", 1, 1 + 12 * 64, "nest more than 64 levels"),
    ),
    "2,000 nested {% if %}": (
        {"mjml": TEXT.format(nested("{% if name %}", "{% endif %}", 2_000))},
        ("mjml", 1, 33 + 13 * 16, "template tags nest more than 16 levels"),
    ),
    "2,000 nested {% for %}": (
        {
            "mjml": TEXT.format(nested("{% for a in items %}", "{% endfor %}", 2_000)),
            "variables": ["name", "dashboard_url", "items"],
            "sample_context": {"name": "Ada", "dashboard_url": "https://x.example/", "items": [1]},
        },
        ("mjml", 1, 33 + 20 * 16, "template tags nest more than 16 levels"),
    ),
    "three loops over 300 items": (
        {
            "mjml": "<mj-section><mj-column><mj-text>\n  {% for a in items %}{% for b in items %}"
            "{% for c in items %}.{% endfor %}{% endfor %}{% endfor %}"
            "</mj-text></mj-column></mj-section>",
            "variables": ["name", "dashboard_url", "items"],
            "sample_context": {
                "name": "Ada",
                "dashboard_url": "https://x.example/",
                "items": list(range(300)),
            },
        },
        ("mjml", 2, 43, "loops would run more than 10,000 times"),
    ),
    "|center:300000000": (
        {
            "mjml": '<mj-section><mj-column>\n<mj-text>{{ name|center:"300000000" }}</mj-text>'
            "</mj-column></mj-section>"
        },
        ("mjml", 2, 10, "|center:300000000 is out of range"),
    ),
    "|stringformat with a huge width": (
        {"subject": '{{ name|stringformat:"900000000s" }}'},
        ("subject", 1, 1, "|stringformat widths"),
    ),
    "|floatformat with a huge precision": (
        {"preheader": '{{ 1|floatformat:"100000" }}'},
        ("preheader", 1, 1, "|floatformat shows at most"),
    ),
    "deep JSON sample data": (
        {
            "sample_context": {
                "name": "Ada",
                "dashboard_url": "https://x.example/",
                "deep": [[[[[[[[[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]]]]]]]],
            }
        },
        ("sample_context", 1, 1, "nests more than 20 levels"),
    ),
    "a 300-term condition": (
        {"mjml": TEXT.format("{% if " + " or ".join(["name"] * 300) + " %}x{% endif %}")},
        ("mjml", 1, 33, "more than 24 terms"),
    ),
    "a 1 MB subject": ({"subject": "x" * 1_000_000}, ("subject", 1, 1, "the limit is 255")),
    "a huge text body": (
        {"text_body": "y" * 200_000},
        ("text_body", 1, 1, "the limit is 104,448"),
    ),
}


@pytest.mark.parametrize("changes, expected", BOMBS.values(), ids=BOMBS.keys())
def test_a_template_bomb_is_refused_at_its_line(templates, changes, expected):
    field, line, column, words = expected
    problems = refused(changes)
    first = problems[0]
    assert (first.field, first.line, first.column) == (field, line, column), problems
    assert words in first.message


def test_a_loop_repeating_a_big_value_is_stopped_by_the_output_budget(templates):
    problems = refused(
        {
            "mjml": TEXT.format("{% for i in items %}{{ big }}{{ big }}{% endfor %}"),
            "variables": ["name", "dashboard_url", "items", "big"],
            "sample_context": {
                "name": "Ada",
                "dashboard_url": "https://x.example/",
                "items": list(range(9_000)),
                "big": "z" * 60_000,
            },
        }
    )
    assert problems[0].message.startswith("loops produce more than 2,000,000 characters")


def test_a_doubling_chain_of_with_and_add_is_stopped_by_the_value_cap(templates):
    chain = "".join(f"{{% with v{i}=v{i - 1}|add:v{i - 1} %}}" for i in range(1, 15))
    ends = "{% endwith %}" * 14
    problems = refused(
        {
            "mjml": TEXT.format(
                "{% with v0=name %}" + chain + "{{ v14 }}" + ends + "{% endwith %}"
            ),
            "sample_context": {"name": "x" * 60_000, "dashboard_url": "https://x.example/"},
        }
    )
    assert "|add made a value of" in problems[0].message


@pytest.mark.parametrize(
    "code, failed",
    [
        ("{{ 7|divisibleby:0 }}", "|divisibleby failed"),
        # `make fuzz` found these as 500s in the studio's preview: Django's timesince and
        # timeuntil read `.year` off a value that is not a date.
        ("{{ name|timesince }}", "|timesince failed"),
        ("{{ 5|timeuntil }}", "|timeuntil failed"),
    ],
)
def test_rendering_errors_of_filters_become_problems_not_500s(templates, code, failed):
    problems = refused({"mjml": TEXT.format(code)})
    assert problems[0].message.startswith(failed)


def test_a_bomb_in_memory_stays_far_under_100_mb(templates):
    tracemalloc.start()
    try:
        refused(
            {
                "mjml": TEXT.format('{% for i in items %}{{ name|center:"1000" }}{% endfor %}'),
                "variables": ["name", "dashboard_url", "items"],
                "sample_context": {
                    "name": "Ada",
                    "dashboard_url": "https://x.example/",
                    "items": list(range(9_999)),
                },
            }
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 100 * 1024 * 1024


def test_mrml_crashing_in_its_child_process_leaves_this_process_alive():
    # Bypass the depth check on purpose: this is the SIGSEGV the issue reported.
    document = (
        "<mjml><mj-body>" + TEXT.format(nested("<div>", "</div>", 12_000)) + ("</mj-body></mjml>")
    )
    with pytest.raises(CompileLimitError, match=r"crashed \(SIGSEGV\)"):
        compile_isolated(document)
    assert os.getpid()  # still here
    assert compile_isolated("<mjml><mj-body></mj-body></mjml>")[0].startswith("<!doctype html>")


def test_the_child_compile_gives_the_same_html_and_the_same_mjml_errors():
    document = "<mjml><mj-body>" + TEXT.format("Hi {{ name }}") + "</mj-body></mjml>"
    assert compile_isolated(document) == compile_mjml(document)
    with pytest.raises(ValueError, match="unexpected end of stream") as caught:
        compile_isolated("<mjml><mj-body><mj-text>")
    assert not isinstance(caught.value, CompileLimitError)


def test_json_text_is_refused_before_parsing_when_too_deep_or_too_long():
    deep = '{"a": ' + "[" * 5_000 + "]" * 5_000 + "}"
    problem = bounds.json_text_problem(deep, field_name="sample_context")
    assert (problem.line, problem.column) == (1, 7 + 19)
    assert bounds.json_text_problem('{"s": "[[[[[[[[[[[[[[[[[[[[[[[[["}', field_name="x") is None
    long = '{"a": "' + "x" * bounds.MAX_JSON_CHARS + '"}'
    assert "the limit is" in bounds.json_text_problem(long, field_name="x").message


def test_problems_past_fifty_are_summarised(templates):
    problems = refused({"mjml": "<mj-foo></mj-foo>\n" * 400})
    assert len(problems) == bounds.MAX_PROBLEMS + 1
    assert problems[-1].message == "... and 350 more problems"
