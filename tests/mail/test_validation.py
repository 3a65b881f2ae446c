"""Invalid templates give clear errors with line and column, and never become active."""

import pytest

from apps.mail.exceptions import TemplateInvalidError
from apps.mail.models import EmailLayout, EmailTemplate, EmailTemplateVersion
from apps.mail.services import template_save
from tests.mail.validation_cases import GOOD, only, problems_of

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def test_a_valid_edit_creates_a_new_active_version_with_compiled_html(templates):
    template = EmailTemplate.objects.get(key="welcome")
    first = template.active_version
    template.mjml = GOOD
    version = template_save(template=template)
    template.refresh_from_db()
    assert template.active_version == version and version.number == first.number + 1
    assert "Hello {{ name }}" in version.compiled_html and "<mj-" not in version.compiled_html


def test_unclosed_mjml_is_reported_with_line_and_column(templates):
    problem = only(problems_of(templates, mjml=GOOD.replace("</mj-text>", "")))
    assert (problem.field, problem.line, problem.column) == ("mjml", 3, 5)
    assert problem.message == (
        "<mj-text> is never closed: </mj-column> at line 4, column 3 closes its parent first"
    )


def test_an_unknown_element_is_reported_with_line_and_column(templates):
    source = GOOD.replace("<mj-text", '<mj-buton href="x"></mj-buton>\n    <mj-text')
    problem = only(problems_of(templates, mjml=source))
    assert (problem.line, problem.column) == (3, 5)
    assert problem.message == "unknown element <mj-buton>"


def test_an_unknown_attribute_and_a_misplaced_element_are_reported(templates):
    source = GOOD.replace('css-class="em-text"', 'colour="red"').replace(
        "<mj-column>", "<mj-column>\n    <mj-section></mj-section>"
    )
    problems = problems_of(templates, mjml=source)
    messages = {(p.line, p.column, p.message) for p in problems}
    assert (
        3,
        5,
        "<mj-section> is not allowed inside <mj-column>; it goes in <mj-body>, <mj-wrapper>",
    ) in messages
    assert (4, 14, "unknown attribute 'colour' on <mj-text>") in messages


def test_an_undeclared_variable_is_reported_with_line_and_column(templates):
    source = GOOD.replace("Hello {{ name }}", "Hello {{ name }}, {{ nickname|upper }}")
    problem = only(problems_of(templates, mjml=source))
    assert (problem.field, problem.line, problem.column) == ("mjml", 3, 52)
    assert "variable 'nickname' is used but not declared" in problem.message


@pytest.mark.parametrize(
    "tag", ["load static", "include 'x.html'", "extends 'base.html'", "debug", "ssi '/etc/passwd'"]
)
def test_forbidden_tags_are_rejected_with_line_and_column(templates, tag):
    problem = only(problems_of(templates, mjml=GOOD.replace("Hello", f"{{% {tag} %}}Hello")))
    assert (problem.line, problem.column) == (3, 34)
    assert f"the {{% {tag.split()[0]} %}} tag is forbidden" in problem.message


def test_the_safe_filter_and_unknown_tags_are_rejected(templates):
    source = GOOD.replace("{{ name }}", "{{ name|safe }}{% lorem %}")
    messages = [p.message for p in problems_of(templates, mjml=source)]
    assert "the |safe filter is not allowed (it switches off escaping)" in messages
    assert any(m.startswith("the {% lorem %} tag is not allowed") for m in messages)


def test_variables_must_be_covered_by_the_sample_data(templates):
    source = GOOD.replace("{{ name }}", "{{ name.first }}")
    problem = only(problems_of(templates, mjml=source))
    assert problem.message == "variable 'name.first' has no value in the sample data"


def test_the_subject_is_checked_too(templates):
    problem = only(problems_of(templates, subject="Hi {{ unknown }}"))
    assert (problem.field, problem.line, problem.column) == ("subject", 1, 4)


def test_template_syntax_errors_carry_their_position(templates):
    problem = only(problems_of(templates, mjml=GOOD.replace("Hello", "{% if name %}Hello")))
    assert problem.field == "mjml" and problem.line == 3
    assert "endif" in problem.message


def test_nothing_invalid_is_saved_or_activated(templates):
    before = EmailTemplate.objects.get(key="welcome")
    versions = EmailTemplateVersion.objects.count()
    problems_of(templates, mjml="<mj-section><mj-foo/></mj-section>", subject="Changed")
    after = EmailTemplate.objects.get(key="welcome")
    assert (after.subject, after.mjml) == (before.subject, before.mjml)
    assert after.active_version_id == before.active_version_id
    assert EmailTemplateVersion.objects.count() == versions


def test_versions_are_immutable(templates):
    version = EmailTemplate.objects.get(key="welcome").active_version
    version.subject = "rewritten history"
    with pytest.raises(ValueError, match="immutable"):
        version.save()


def test_loops_bind_their_variable_and_check_items_against_the_sample(templates):
    template = EmailTemplate.objects.get(key="usage_report")
    template.mjml = template.mjml.replace("{{ mode.name }}", "{{ mode.label }}")
    with pytest.raises(TemplateInvalidError, match=r"'mode\.label' has no value in the sample"):
        template_save(template=template)


def test_inline_styles_are_inlined_as_mjml_does(templates):
    from apps.mail.services import layout_save

    layout = EmailLayout.objects.get()
    layout.mjml = layout.mjml.replace(
        "</mj-head>",
        '<mj-style inline="inline">.em-heading div { letter-spacing: 1px; }</mj-style></mj-head>',
    )
    versions = layout_save(layout=layout)
    welcome = next(v for v in versions if v.template.key == "welcome")
    assert "letter-spacing: 1px" in welcome.compiled_html
    assert "@media (prefers-color-scheme: dark)" in welcome.compiled_html  # other styles kept
    usage = next(v for v in versions if v.template.key == "usage_report")
    assert "{% for mode in modes %}" in usage.compiled_html


def test_a_hand_written_text_body_is_used_and_checked(templates):
    template = EmailTemplate.objects.get(key="welcome")
    template.text_body = "Hi {{ name }}, open {{ dashboard_url }}"
    assert template_save(template=template).text_body == template.text_body
    template.text_body = "Hi {{ nobody }}"
    with pytest.raises(TemplateInvalidError, match="'nobody' is used but not declared"):
        template_save(template=template)


def test_https_links_images_and_safe_data_images_are_accepted(templates):
    template = EmailTemplate.objects.get(key="welcome")
    template.mjml = GOOD.replace(
        "Hello",
        '<a href="https://x.example/?q=javascript:">x</a>'
        '<img alt="dot" src="data:image/png;base64,iVBORw0KGgo=">'
        '<span style="background:url(https://x.example/bg.png)">Hello</span>',
    )
    assert template_save(template=template).number == 2


def test_the_text_body_has_a_size_limit_like_the_html(templates):
    problem = only(problems_of(templates, text_body="word " * 30_000))
    assert (problem.field, problem.line, problem.column) == ("text_body", 1, 1)
    assert "the limit is 104,448" in problem.message


@pytest.mark.parametrize(
    ("typo", "words"),
    [
        ("Hello {{ name }", "{{ is not closed with }} on its line"),
        ("Hello {% if name", "{% is not closed with %} on its line"),
        ("Hello {# note", "{# is not closed with #} on its line"),
    ],
)
def test_an_unclosed_template_tag_is_reported_at_its_opener(templates, typo, words):
    # Django reads a tag left open as text, but once MJML joins lines it swallows what follows
    # up to the next }}: the compiled email would not parse (a 500 in the studio on 01ea189).
    source = GOOD.replace("Hello {{ name }}", typo) + "<mj-section><mj-column>"
    source += '<mj-button href="{{ name }}">Go</mj-button></mj-column></mj-section>\n'
    problem = only(problems_of(templates, mjml=source))
    column = source.splitlines()[2].index("Hello {") + 7
    assert (problem.field, problem.line, problem.column) == ("mjml", 3, column)
    assert words in problem.message


def test_a_whole_tag_shown_by_verbatim_is_not_a_typo(templates):
    source = GOOD.replace("{{ name }}", "{% verbatim %}{{ name }}{% endverbatim %}")
    template = EmailTemplate.objects.get(key="welcome")
    template.mjml = source
    assert "{{ name }}" in template_save(template=template).compiled_html


def test_an_mjml_element_inside_an_unclosed_text_points_at_the_text(templates):
    source = GOOD.replace("</mj-text>", "") + ""
    source = source.replace(
        "  </mj-column>", '    <mj-button href="x">Go</mj-button>\n  </mj-column>'
    )
    problem = only(problems_of(templates, mjml=source))
    assert (problem.line, problem.column) == (3, 5)
    assert problem.message.startswith("<mj-text> is never closed: <mj-button> at line 4, column 5")


def test_a_mistyped_closing_tag_is_reported_where_it_is(templates):
    problem = only(problems_of(templates, mjml=GOOD.replace("</mj-text>", "</mj-txt>")))
    assert (problem.line, problem.column) == (3, 50)
    assert problem.message == (
        "</mj-txt> does not close <mj-text> opened at line 3, column 5; write </mj-text>"
    )
