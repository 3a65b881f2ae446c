"""Invalid templates give clear errors with line and column, and never become active."""

import pytest

from apps.mail.exceptions import TemplateInvalidError
from apps.mail.models import EmailTemplate, EmailTemplateVersion
from apps.mail.services import template_save

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]

GOOD = """<mj-section>
  <mj-column>
    <mj-text css-class="em-text">Hello {{ name }}</mj-text>
  </mj-column>
</mj-section>
"""


def problems_of(templates, **changes) -> list:
    template = EmailTemplate.objects.get(key="welcome")
    for name, value in changes.items():
        setattr(template, name, value)
    with pytest.raises(TemplateInvalidError) as caught:
        template_save(template=template)
    return caught.value.problems


def only(problems):
    assert len(problems) == 1, problems
    return problems[0]


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
    assert (problem.field, problem.line, problem.column) == ("mjml", 4, 3)
    assert "</mj-column> does not close <mj-text> opened at line 3, column 5" in problem.message


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
    assert (3, 5, "<mj-section> is not allowed inside <mj-column>; it goes in <mj-body>, "
            "<mj-wrapper>") in messages  # fmt: skip
    assert (4, 14, "unknown attribute 'colour' on <mj-text>") in messages


def test_an_undeclared_variable_is_reported_with_line_and_column(templates):
    source = GOOD.replace("Hello {{ name }}", "Hello {{ name }}, {{ nickname|upper }}")
    problem = only(problems_of(templates, mjml=source))
    assert (problem.field, problem.line, problem.column) == ("mjml", 3, 52)
    assert "variable 'nickname' is used but not declared" in problem.message


@pytest.mark.parametrize("tag", ["load static", "include 'x.html'", "extends 'base.html'",
                                 "debug", "ssi '/etc/passwd'"])  # fmt: skip
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
    from apps.mail.models import EmailLayout
    from apps.mail.services import layout_save

    layout = EmailLayout.objects.get()
    layout.mjml = layout.mjml.replace(
        "</mj-head>", '<mj-style inline="inline">.em-heading div { letter-spacing: 1px; }'
        "</mj-style></mj-head>"
    )  # fmt: skip
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
