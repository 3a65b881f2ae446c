"""The shipped templates: synced idempotently, valid, small, dark-mode aware, compiled once."""

import json

import pytest
from django.core.management import call_command
from django.template import Context

from apps.mail.defaults import TEMPLATE_KEYS, sync_email_templates
from apps.mail.models import (
    EmailLayout,
    EmailTemplate,
    EmailTemplateTranslation,
    EmailTemplateVersion,
)
from apps.mail.rendering import HTML_ENGINE, TEXT_ENGINE, render, system_sample
from apps.mail.validation import MAX_HTML_BYTES

pytestmark = pytest.mark.django_db


@pytest.mark.embedded
def test_sync_loads_the_layout_and_all_templates_idempotently(capsys):
    call_command("sync_email_templates")
    assert "created: layout, welcome" in capsys.readouterr().out
    assert sorted(EmailTemplate.objects.values_list("key", flat=True)) == sorted(TEMPLATE_KEYS)
    assert EmailLayout.objects.get().is_default
    versions = EmailTemplateVersion.objects.count()
    call_command("sync_email_templates")
    assert "unchanged: layout, welcome" in capsys.readouterr().out
    translations = EmailTemplateTranslation.objects.filter(active_version__isnull=False).count()
    assert translations == 15  # every template ships in French
    assert EmailTemplateVersion.objects.count() == versions == len(TEMPLATE_KEYS) + translations


def test_staff_edits_are_kept_unless_forced(templates):
    template = EmailTemplate.objects.get(key="welcome")
    template.subject = "Hello from staff"
    template.save()
    report = sync_email_templates()
    assert report.kept == ["welcome"]
    assert EmailTemplate.objects.get(key="welcome").subject == "Hello from staff"
    report = sync_email_templates(force=True)
    assert report.updated == ["welcome"]
    assert EmailTemplate.objects.get(key="welcome").subject.startswith("Welcome to")


@pytest.mark.parametrize("key", TEMPLATE_KEYS)
def test_every_template_is_small_dark_mode_aware_and_has_a_text_alternative(templates, key):
    version = EmailTemplate.objects.get(key=key).active_version
    html, text = version.compiled_html, version.text_body
    assert '<meta name="color-scheme" content="light dark"' in html
    assert "@media (prefers-color-scheme: dark)" in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "<mj-" not in html  # compiled once, stored
    rendered = render(version, {**system_sample(), **version.sample_context})
    assert len(rendered.html.encode()) < MAX_HTML_BYTES
    assert "{{" not in rendered.html and "{%" not in rendered.text
    assert "Email preferences (http://127.0.0.1:8000/email/preferences/" in rendered.text
    for value in version.sample_context.values():
        if isinstance(value, str) and value.startswith("https://"):
            assert value in rendered.text  # links kept in the text alternative
    assert text == version.text_body


@pytest.mark.parametrize("key", TEMPLATE_KEYS)
def test_the_fast_renderer_matches_django_exactly(templates, key):
    version = EmailTemplate.objects.get(key=key).active_version
    context = {**system_sample(), **version.sample_context, "name": '<Ada & "Bob">'}
    expected_html = HTML_ENGINE.from_string(version.compiled_html).render(Context(context))
    preheader = TEXT_ENGINE.from_string(version.preheader).render(Context(context))
    # The preheader is the email's first visible line, so the text part starts with it too.
    shown = " ".join(
        TEXT_ENGINE.from_string(version.preheader)
        .render(Context(context, autoescape=False))
        .split()
    )
    expected_text = TEXT_ENGINE.from_string(version.text_body).render(
        Context({**context, "preheader": shown}, autoescape=False)
    )
    rendered = render(version, context)
    assert rendered.html == expected_html.replace(
        "{{ preheader }}", ""
    ) or rendered.html == HTML_ENGINE.from_string(version.compiled_html).render(
        Context({**context, "preheader": " ".join(preheader.split())})
    )
    assert rendered.text == expected_text


def test_render_email_prints_html_or_text_with_sample_data_or_a_context(templates, capsys):
    call_command("render_email", "invoice")
    assert "INV-202611-8F3A21C0" in capsys.readouterr().out
    call_command(
        "render_email",
        "invoice",
        "--text",
        "--context",
        json.dumps(
            {
                "name": "Zed",
                "organization_name": "Z",
                "invoice_number": "INV-1",
                "amount": "1 USD",
                "issued_on": "today",
                "paid_on": "today",
            }
        ),
    )
    out = capsys.readouterr().out
    assert "Hi Zed" in out and "<table" not in out


def test_bench_render_prints_both_rates_and_their_ratio(templates, capsys):
    call_command("bench_render", "welcome", "--iterations", "50")
    out = capsys.readouterr().out
    assert "personalized renders" in out and "bare mjml2html compiles" in out and "ratio" in out
