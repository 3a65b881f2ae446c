"""`manage.py email_qa`: the handoff report over every template and language, and its exit
status, which CI gates on (a process of its own, as CI runs it)."""

import re
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from apps.mail.defaults import read_default
from apps.mail.mjml_compile import compile_isolated
from apps.mail.models import EmailTemplate, EmailTemplateVersion
from apps.mail.qa import spam
from apps.mail.rendering import combine
from apps.mail.text import html_to_text
from tests.conftest import ROOT, load_shipped_templates, subprocess_env
from tests.mail.qa.conftest import SITE

# One email with every problem the issue lists: a 404 link, grey on grey in its own dark mode,
# an image without alt, a layout table without a role, display:flex, 120 KB of HTML and an
# all-caps "FREE!!!" subject.
BAD_BODY = (
    "<mj-section><mj-column>"
    "<mj-raw><style>@media (prefers-color-scheme: dark) "
    "{ .em-ghost div { color: #3b3f4a !important; } }</style></mj-raw>"
    '<mj-text css-class="em-text"><h1 style="margin:0;">A deal for you</h1></mj-text>'
    '<mj-text css-class="em-text em-ghost">This sentence turns grey on grey in dark mode.</mj-text>'
    '<mj-text css-class="em-text"><img src="https://app.summasaas.example/static/promo.png"'
    ' width="120" height="40"></mj-text>'
    '<mj-text css-class="em-text"><table><tr><td>A layout cell</td></tr></table></mj-text>'
    '<mj-text css-class="em-text"><div style="display:flex"><span>One</span> <span>Two</span>'
    "</div></mj-text>"
    '<mj-text css-class="em-text">See <a href="https://app.summasaas.example/no-such-page/">'
    "the offer page</a>.</mj-text>"
    '<mj-text css-class="em-text">{{ filler }}</mj-text>'
    "</mj-column></mj-section>"
)
FILLER = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 2200  # ~123 KB


def bad_template() -> EmailTemplate:
    """Stored as a version as it is: saving through the studio would refuse its size."""
    layout = read_default("layout")["mjml"]
    html, _unused = compile_isolated(combine(layout, BAD_BODY)[0])
    template = EmailTemplate.objects.create(
        key="bad_promo",
        name="Bad promo",
        category="alerts",
        subject="FREE!!! WIN CASH NOW",
        preheader="Only today",
        mjml=BAD_BODY,
        variables=["filler"],
        sample_context={"filler": FILLER},
    )
    version = EmailTemplateVersion.objects.create(
        template=template,
        language="en",
        number=1,
        category="alerts",
        layout_mjml=layout,
        subject=template.subject,
        preheader=template.preheader,
        mjml=BAD_BODY,
        variables=template.variables,
        sample_context=template.sample_context,
        compiled_html=html,
        text_body=html_to_text(html),
    )
    EmailTemplate.objects.filter(pk=template.pk).update(active_version=version)
    return template


def email_qa(tmp_path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "email_qa", "--output", str(tmp_path / "report.html"), *args],
        cwd=ROOT,
        env=subprocess_env(SITE_URL=SITE),
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.django_db(transaction=True)
def test_the_shipped_templates_pass_in_every_language_and_the_report_shows_each(tmp_path):
    load_shipped_templates()
    done = email_qa(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = re.findall(
        r"^(\w+) \((en|fr)\): 0 error\(s\), \d+ warning\(s\), \d+ accepted$", done.stdout, re.M
    )
    languages = {key: set() for key, _language in lines}
    for key, language in lines:
        languages[key].add(language)
    assert len(languages) == 15 and len(lines) == 30
    assert languages["welcome"] == {"en", "fr"} and languages["ops_alert"] == {"en", "fr"}
    assert "30 emails checked, no errors" in done.stdout
    report = (tmp_path / "report.html").read_text()
    assert report.count('<section class="email"') == 30
    for caption in (
        "600 px · light",
        "600 px · own dark",
        "375 px · light",
        "375 px · own dark",
        "600 px · forced dark",
    ):
        assert report.count(caption) == 30, caption
    assert report.count('<iframe sandbox=""') == 30 * 6
    assert "No errors in 30 emails" in report and "SpamAssassin version" in report


@pytest.mark.django_db(transaction=True)
def test_a_bad_template_fails_and_each_problem_is_named_with_its_mode_client_or_rule(tmp_path):
    load_shipped_templates()
    bad_template()
    done = email_qa(tmp_path, "--template", "bad_promo")
    assert done.returncode != 0
    out = done.stdout
    expected = [
        f"links [{SITE}/no-such-page/]: {SITE}/no-such-page/ goes to a page that does not exist "
        "(/no-such-page/ answers 404)",
        "contrast [own dark]: “This sentence turns grey on grey in dark mode.” is #3b3f4a on "
        "#1c1f27 in own dark",
        f"accessibility: The image {SITE}/static/promo.png has no alt text",
        'accessibility: A layout <table> has no role="presentation"',
        "clients [Outlook (Windows)]: display:flex: not supported, and nothing in the email "
        "makes up for it",
        "KB of HTML; Gmail clips at 102 KB: Gmail cuts the email",
        "spam [SUBJ_ALL_CAPS]: SUBJ_ALL_CAPS (+0.5 points): Subject is all capitals",
    ]
    for problem in expected:
        assert problem in out, problem
    assert re.search(r"size: 1[2-9]\d\.\d KB of HTML", out)  # over the 102 KB clip
    assert "CommandError: " in done.stderr and "error(s) in 1 of 1 emails" in done.stderr
    report = (tmp_path / "report.html").read_text()
    assert "1 error" in report and "no-such-page" in report


@pytest.mark.django_db
def test_without_spamassassin_the_run_fails_and_says_why(deployed, tmp_path, monkeypatch, capsys):
    load_shipped_templates()
    monkeypatch.setattr(spam, "program", lambda: None)
    with pytest.raises(CommandError, match=r"2 error\(s\) in 2 of 2 emails"):
        call_command("email_qa", "--template", "welcome", "--output", str(tmp_path / "r.html"))
    out = capsys.readouterr().out
    assert (
        out.count(
            "spam [SpamAssassin]: SpamAssassin is not installed, so the spam score was "
            "not checked: install the Debian package spamassassin"
        )
        == 2
    )
    assert "spam score by not installed" in (tmp_path / "r.html").read_text()


@pytest.mark.embedded  # the embedded default too: SQLite, the database cache
@pytest.mark.django_db
def test_skipping_the_spam_score_is_said_in_the_report(deployed, tmp_path, capsys):
    load_shipped_templates()
    call_command(
        "email_qa", "--template", "invoice", "--skip-spam", "--output", str(tmp_path / "r.html")
    )
    assert "invoice (fr): 0 error(s)" in capsys.readouterr().out
    assert (
        "The spam score was not checked (skipped on request)" in (tmp_path / "r.html").read_text()
    )


@pytest.mark.django_db
def test_an_unknown_template_or_an_empty_database_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="no active template versions"):
        call_command("email_qa", "--output", str(tmp_path / "r.html"))
    with pytest.raises(CommandError, match="no template named nope"):
        call_command("email_qa", "--template", "nope", "--output", str(tmp_path / "r.html"))
