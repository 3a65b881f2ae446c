"""Words, not internals (issue 12.6): what staff read in the console and customers in emails."""

import re

import pytest
from django.conf import settings
from django.contrib import admin
from django.utils import timezone

from apps.console.services import audit_record
from apps.jobs.models import PeriodicRun
from apps.mail.defaults import TEMPLATE_KEYS
from apps.mail.models import EmailEvent, EmailTemplate, OutboundEmail
from apps.mail.services import render_for_preview, send_email
from tests.conftest import load_shipped_templates
from tests.console.admin_walk import changelist_url
from tests.factories import make_plan

pytestmark = pytest.mark.django_db
BRITISH = re.compile(r"\b(cancell\w*|favour\w*|colour\w*|summaris\w*|organis\w*|behaviour)\b", re.I)


def text(response) -> str:
    return response.content.decode()


def test_periodic_runs_show_their_period_and_result_in_words(admin_client):
    now = timezone.now()
    PeriodicRun.objects.create(
        job="analytics_hourly",
        period_key="2026-12-01T09",
        period_start=now,
        period_end=now,
        status="succeeded",
        result={"rows_written": 12000},
    )
    page = text(admin_client.get("/admin/jobs/periodicrun/"))
    assert "1 Dec 2026, 09:00\u201310:00" in page and "12,000 rows written" in page
    assert "2026-12-01T09" not in page and '{"rows_written"' not in page


def test_the_audit_trail_names_what_was_acted_on(admin_client, admin_user):
    audit_record(actor=admin_user, action="job.pause", note="daily_digest")
    load_shipped_templates()
    template = EmailTemplate.objects.get(key="welcome")
    audit_record(actor=admin_user, action="template.save", target=template)
    page = text(admin_client.get("/admin/console/auditentry/"))
    assert "daily_digest" in page and "Periodic job" in page
    assert "Email template" in page and ">mail.EmailTemplate<" not in page  # values may stay


def test_the_outbox_says_bounced_and_names_the_provider(admin_client, settings):
    load_shipped_templates()
    email = send_email(template_key="welcome", to="gone@example.com", context={"name": "Ada"})
    OutboundEmail.objects.filter(pk=email.pk).update(status="sent", provider="backends")
    EmailEvent.objects.create(
        email=email,
        esp_name="Postmark",
        event_type="bounced",
        recipient=email.to,
        fingerprint="b1",
        mta_response="550 no such user",
    )
    listing = text(admin_client.get("/admin/mail/outboundemail/"))
    assert re.search(r">\s*bounced\s*<", listing, re.I)
    detail = text(admin_client.get(f"/admin/mail/outboundemail/{email.pk}/change/"))
    assert "Local .eml files" in detail and "backends" not in detail
    event = EmailEvent.objects.get()
    event_page = text(admin_client.get(f"/admin/mail/emailevent/{event.pk}/change/"))
    assert "Provider" in event_page and "Server response" in event_page
    assert "Esp name" not in event_page and "Mta response" not in event_page
    assert "welcome to gone@example.com" in event_page and "#" + str(email.pk) not in event_page


def test_versions_are_named_by_template_and_number(admin_client):
    load_shipped_templates()
    version = EmailTemplate.objects.get(key="welcome").active_version
    page = text(admin_client.get(f"/admin/mail/emailtemplateversion/{version.pk}/change/"))
    assert f"welcome v{version.number}" in page
    assert f"{version.template_id} v{version.number}" not in page


def test_read_only_lists_offer_no_add_and_empty_lists_say_no_count(admin_client):
    page = text(admin_client.get("/admin/analytics/dailyrollup/"))
    assert "Add daily" not in page
    for model in admin.site._registry:
        body = text(admin_client.get(changelist_url(model)))
        assert "Show all" not in body, model


def test_big_numbers_have_thousands_separators(admin_client):
    make_plan(code="business", characters=10_000_000)
    page = text(admin_client.get("/admin/billing/plan/"))
    assert "10,000,000" in page and "10000000" not in page


def test_every_page_names_its_icon_and_favicon_ico_answers(admin_client):
    assert 'rel="icon"' in text(admin_client.get("/admin/"))
    response = admin_client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("console/favicon.svg")


def test_emails_need_no_remote_font_and_use_one_spelling_and_the_modes_names():
    load_shipped_templates()
    for key in TEMPLATE_KEYS:
        rendered = render_for_preview(template_key=key)
        assert "fonts.googleapis" not in rendered.html, key
        words = f"{rendered.subject} {rendered.text}"
        assert not BRITISH.search(words), (key, BRITISH.search(words))
        assert "takeaways" not in words.lower(), key
    french = (settings.BASE_DIR / "mjml" / "fr" / "welcome.mjml").read_text()
    assert "exécutif" in french and "enseignements" not in french  # the mode's name again
