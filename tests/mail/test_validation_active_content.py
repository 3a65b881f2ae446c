"""Active content (scripts, event handlers, javascript: links, unsafe CSS) is refused at its
field, line and column, whether it is in the template, the layout or made by the sample data."""

import pytest

from apps.mail.exceptions import TemplateInvalidError
from apps.mail.models import EmailLayout, EmailTemplate
from apps.mail.services import template_save
from tests.mail.validation_cases import GOOD, only, problems_of

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


UNSAFE = {
    "<script> in mj-text": (
        {"mjml": GOOD.replace("Hello", "<script>alert(1)</script>Hello")},
        ("mjml", 3, 34, "<script> is not allowed in an email: it runs code"),
    ),
    "<iframe> in mj-raw": (
        {
            "mjml": GOOD.replace(
                "<mj-text",
                '<mj-raw>\n      <iframe src="https://x.example"></iframe></mj-raw>\n    <mj-text',
            )
        },
        ("mjml", 4, 7, "<iframe> is not allowed"),
    ),
    "<object> at the top level": (
        {"mjml": '<object data="x.swf"></object>\n' + GOOD},
        ("mjml", 1, 1, "<object> is not allowed"),
    ),
    "onerror on an img": (
        {
            "mjml": GOOD.replace(
                "Hello",
                '<img src="https://x.example/a.png" alt=""\n        onerror="alert(1)">Hello',
            )
        },
        ("mjml", 4, 9, "the onerror attribute is not allowed"),
    ),
    "onclick on a button": (
        {
            "mjml": GOOD.replace(
                '<mj-text css-class="em-text">',
                '<mj-button href="https://x.example" onclick="x()">Go</mj-button>'
                '<mj-text css-class="em-text">',
            )
        },
        ("mjml", 3, 41, "the onclick attribute is not allowed"),
    ),
    "javascript: link": (
        {"mjml": GOOD.replace("Hello", '<a href=" JaVa\tScRiPt:alert(1)">x</a>Hello')},
        ("mjml", 3, 37, "a javascript: URL is not allowed in href"),
    ),
    "entity-encoded javascript: link": (
        {"mjml": GOOD.replace("Hello", '<a href="&#106;avascript:alert(1)">x</a>Hello')},
        ("mjml", 3, 37, "a javascript: URL is not allowed in href"),
    ),
    "javascript: on mj-button": (
        {
            "mjml": GOOD.replace(
                '<mj-text css-class="em-text">',
                '<mj-button href="javascript:go()">Go</mj-button>\n    '
                '<mj-text css-class="em-text">',
            )
        },
        ("mjml", 3, 16, "a javascript: URL is not allowed in href"),
    ),
    "data: link": (
        {"mjml": GOOD.replace("Hello", '<a href="data:text/html,<b>x</b>">x</a>Hello')},
        ("mjml", 3, 37, "a data: URL is not allowed in href"),
    ),
    "data: svg image": (
        {
            "mjml": GOOD.replace(
                '<mj-text css-class="em-text">',
                '<mj-image src="data:image/svg+xml;base64,PHN2Zz4=" alt="x"/>'
                '<mj-text css-class="em-text">',
            )
        },
        ("mjml", 3, 15, "a data: URL is not allowed in src"),
    ),
    "url(javascript:) in a style attribute": (
        {
            "mjml": GOOD.replace(
                "Hello", "<span style=\"background: url('javascript:x')\"></span>Hello"
            )
        },
        ("mjml", 3, 40, "a javascript: URL is not allowed in CSS url(...)"),
    ),
    "<script> in a conditional comment": (
        {"mjml": GOOD.replace("Hello", "<!--[if mso]><script>x</script><![endif]-->Hello")},
        ("mjml", 3, 34, "'script' is not allowed, even inside a comment"),
    ),
}


@pytest.mark.parametrize("changes, expected", UNSAFE.values(), ids=UNSAFE.keys())
def test_active_content_is_refused_at_its_line_and_column(templates, changes, expected):
    field, line, column, words = expected
    problems = problems_of(templates, **changes)
    assert any(
        (p.field, p.line, p.column) == (field, line, column) and words in p.message
        for p in problems
    ), problems


def test_css_in_the_layout_is_checked_in_the_layout_at_its_line(templates):

    layout = EmailLayout.objects.get(is_default=True)
    lines = layout.mjml.splitlines()
    at = next(i for i, text in enumerate(lines) if "<mj-style" in text) + 1
    lines.insert(at, "      @import url(data:text/css;base64,eA==);")
    layout.mjml = "\n".join(lines)
    template = EmailTemplate.objects.get(key="welcome")
    template.layout = layout
    with pytest.raises(TemplateInvalidError) as caught:
        template_save(template=template)
    problem = caught.value.problems[0]
    assert (problem.field, problem.line, problem.column) == ("layout", at + 1, 15)
    assert "a data: URL is not allowed in CSS url(...)" in problem.message


def test_an_onerror_in_the_layout_is_reported_in_the_layout_at_its_line(templates):

    layout = EmailLayout.objects.get(is_default=True)
    lines = layout.mjml.splitlines()
    at = next(i for i, text in enumerate(lines) if "<mj-text" in text)
    lines[at] = lines[at].replace("<mj-text", '<mj-text onerror="x()"', 1)
    layout.mjml = "\n".join(lines)
    template = EmailTemplate.objects.get(key="welcome")
    template.layout = layout
    with pytest.raises(TemplateInvalidError) as caught:
        template_save(template=template)
    problem = only(caught.value.problems)
    column = lines[at].index("onerror") + 1
    assert (problem.field, problem.line, problem.column) == ("layout", at + 1, column)
    assert problem.message.startswith("the onerror attribute is not allowed")


def test_a_script_link_made_by_the_sample_data_is_refused(templates):
    sample = {"name": "Ada", "dashboard_url": "javascript:alert(1)"}
    problem = only(problems_of(templates, sample_context=sample))
    assert problem.message == (
        "with the sample data filled in: a javascript: URL is not allowed in href: it runs code"
    )


def test_markup_mrml_cannot_parse_is_blamed_on_the_template_not_the_layout(templates):
    problem = only(problems_of(templates, mjml=GOOD.replace("Hello", "<scr{{ name }}ipt>")))
    assert problem.field == "mjml" and problem.message.startswith("MJML does not compile")
