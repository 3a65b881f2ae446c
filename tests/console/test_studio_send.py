"""Test sends (allow-list, hourly limit, logged as tests), resend, retry, suppressions, stats."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from apps.console.models import AuditEntry
from apps.console.roles import OPERATOR, SENDER
from apps.console.studio.services import SendRefusedError, studio_test_send
from apps.mail.models import EmailEvent, EmailTemplate, OutboundEmail, Suppression
from apps.mail.selectors import template_delivery_stats
from apps.mail.services import template_save
from tests.console.studio_support import role_client, shipped  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped")]


@pytest.fixture
def provider(settings):
    settings.MAILERS = {"default": {"BACKEND": "anymail.backends.test.EmailBackend"}}
    settings.MAIL_TEST_RECIPIENTS = ["qa@summasaas.example"]
    settings.MAIL_TEST_SENDS_PER_HOUR = 3
    mail.outbox = []
    return mail.outbox


def send_url(template: EmailTemplate) -> str:
    return f"/admin/mail/emailtemplate/{template.pk}/test_send/"


def test_a_sender_sends_a_test_to_an_allowed_address_and_it_is_logged(
    provider, django_capture_on_commit_callbacks
):
    client = role_client(SENDER, email="sender@summasaas.example")
    template = EmailTemplate.objects.get(key="welcome")
    form = client.get(send_url(template)).content.decode()
    assert "sender@summasaas.example" in form and "qa@summasaas.example" in form
    data = {"_form_submitted": "on", "to": "qa@summasaas.example", "context": '{"name": "Grace"}'}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(send_url(template), data)
    assert response.status_code == 200 and response.headers["HX-Redirect"]
    email = OutboundEmail.objects.get()
    assert email.is_test and email.to == "qa@summasaas.example" and email.user == client.user
    assert email.status == "sent" and email.version == template.active_version
    assert [m.subject for m in provider] == ["Welcome to SummaSaaS, Grace"]
    entry = AuditEntry.objects.get(action="email.test_send")
    assert entry.after["to"] == "qa@summasaas.example" and entry.after["outbox_id"] == email.pk


def test_an_address_outside_the_allow_list_is_refused(provider):
    client = role_client(SENDER)
    template = EmailTemplate.objects.get(key="welcome")
    response = client.post(
        send_url(template), {"_form_submitted": "on", "to": "someone@elsewhere.example"}
    )
    assert response.status_code == 200 and "HX-Redirect" not in response.headers
    assert "Select a valid choice" in response.content.decode()
    with pytest.raises(SendRefusedError, match="not an allowed test recipient"):
        studio_test_send(actor=client.user, template=template, to="someone@elsewhere.example")
    assert not OutboundEmail.objects.exists()


def test_test_sends_are_limited_per_user_and_hour(provider):
    client = role_client(SENDER, email="busy@summasaas.example")
    template = EmailTemplate.objects.get(key="welcome")
    for _ in range(3):
        studio_test_send(actor=client.user, template=template, to="busy@summasaas.example")
    with pytest.raises(SendRefusedError, match="limit"):
        studio_test_send(actor=client.user, template=template, to="busy@summasaas.example")
    other = role_client(SENDER)
    studio_test_send(actor=other.user, template=template, to=other.user.email)
    assert OutboundEmail.objects.filter(is_test=True).count() == 4


def failed_email() -> OutboundEmail:
    template = EmailTemplate.objects.get(key="welcome")
    return OutboundEmail.objects.create(
        template_key="welcome",
        to="ada@example.com",
        context=template.sample_context,
        status="failed",
        version=template.active_version,
        attempts=6,
        last_error="boom",
    )


def test_an_operator_retries_a_failed_email_and_it_is_delivered(
    provider, django_capture_on_commit_callbacks
):
    email = failed_email()
    client = role_client(OPERATOR)
    url = f"/admin/mail/outboundemail/{email.pk}/retry/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"_form_submitted": "on"})
    assert response.status_code == 200 and "HX-Redirect" in response.headers
    email.refresh_from_db()
    assert (email.status, email.attempts, len(provider)) == ("sent", 7, 1)
    assert AuditEntry.objects.get(action="email.retry").before["status"] == "failed"


def test_an_operator_resends_an_email_with_its_exact_version(
    provider, django_capture_on_commit_callbacks
):
    email = failed_email()
    template = EmailTemplate.objects.get(key="welcome")
    template.subject = "Newer {{ name }}"
    template_save(template=template)
    client = role_client(OPERATOR)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/mail/outboundemail/{email.pk}/resend/", {"_form_submitted": "on"}
        )
    assert response.status_code == 200
    copy = OutboundEmail.objects.exclude(pk=email.pk).get()
    assert copy.version_id == email.version_id and copy.status == "sent"
    assert provider[0].subject == "Welcome to SummaSaaS, Ada"  # the old version, not the newer
    assert AuditEntry.objects.get(action="email.resend").after["outbox_id"] == copy.pk


def test_an_operator_adds_and_removes_a_suppression_and_both_are_audited():
    client = role_client(OPERATOR)
    response = client.post(
        "/admin/mail/suppression/add/", {"address": "Bouncy@Example.com", "note": "asked us"}
    )
    assert response.status_code == 302
    suppression = Suppression.objects.get()
    assert (suppression.address, suppression.reason) == ("bouncy@example.com", "manual")
    response = client.post(f"/admin/mail/suppression/{suppression.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Suppression.objects.exists()
    actions = list(AuditEntry.objects.order_by("created_at").values_list("action", flat=True))
    assert actions == ["suppression.add", "suppression.remove"]


def test_delivery_shares_per_template_over_a_period(admin_client):
    now = timezone.now()

    def sent(key, *events, days_ago=1, is_test=False):
        email = OutboundEmail.objects.create(
            template_key=key,
            to="a@example.com",
            status="sent",
            is_test=is_test,
            created_at=now - dt.timedelta(days=days_ago),
        )
        for n, kind in enumerate(events):
            EmailEvent.objects.create(
                email=email, esp_name="test", event_type=kind, fingerprint=f"{email.pk}-{n}-{kind}"
            )

    sent("welcome", "delivered", "opened", "opened", "clicked")
    sent("welcome", "delivered")
    sent("welcome", "bounced")
    sent("welcome", "delivered", is_test=True)
    sent("welcome", "delivered", days_ago=20)
    sent("invoice", "delivered", "opened")
    stats = {
        s.template_key: s
        for s in template_delivery_stats(since=now - dt.timedelta(days=7), until=now)
    }
    welcome = stats["welcome"]
    assert (welcome.sent, welcome.delivered, welcome.bounced, welcome.opened) == (3, 2, 1, 1)
    assert welcome.share("delivered") == 66.7 and welcome.share("clicked") == 33.3
    assert stats["invoice"].share("opened") == 100.0
    page = admin_client.get("/admin/mail/emailtemplate/delivery/?days=7").content.decode()
    assert "66.7 %" in page and "invoice" in page
    page = admin_client.get("/admin/mail/emailtemplate/delivery/?days=30").content.decode()
    assert "75.0 %" in page


def test_an_operator_retries_and_resends_selected_emails_in_bulk(provider):
    failed, sent = failed_email(), failed_email()
    OutboundEmail.objects.filter(pk=sent.pk).update(status="sent")
    client = role_client(OPERATOR)
    ids = [failed.pk, sent.pk]
    client.post("/admin/mail/outboundemail/", {"action": "retry_selected", "_selected_action": ids})
    assert OutboundEmail.objects.get(pk=failed.pk).status == "queued"
    assert OutboundEmail.objects.get(pk=sent.pk).status == "sent"  # only failed ones retry
    client.post(
        "/admin/mail/outboundemail/", {"action": "resend_selected", "_selected_action": ids}
    )
    assert OutboundEmail.objects.count() == 4
    actions = sorted(AuditEntry.objects.values_list("action", flat=True))
    assert actions == ["email.resend", "email.resend", "email.retry"]


def test_the_template_page_links_to_its_delivery_and_send_log(admin_client):
    template = EmailTemplate.objects.get(key="welcome")
    base = f"/admin/mail/emailtemplate/{template.pk}"
    assert admin_client.get(f"{base}/delivery/")["Location"].endswith("delivery/?template=welcome")
    assert admin_client.get(f"{base}/outbox/")["Location"].endswith("?template_key=welcome")
    assert admin_client.get("/admin/mail/emailtemplate/delivery_list/").status_code == 302


def test_delivery_shares_over_a_chosen_range_of_days(admin_client):
    day = timezone.now() - dt.timedelta(days=40)
    OutboundEmail.objects.create(
        template_key="invoice", to="a@example.com", status="sent", created_at=day
    )
    url = "/admin/mail/emailtemplate/delivery/"
    since = (day - dt.timedelta(days=1)).date().isoformat()
    page = admin_client.get(f"{url}?since={since}&until={day.date().isoformat()}")
    assert "?template_key=invoice" in page.content.decode()
    assert "?template_key=invoice" not in admin_client.get(f"{url}?days=30").content.decode()
