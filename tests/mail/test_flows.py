"""The real flows that send email: signup, verification, password reset, billing, quotas."""

import re

import pytest

from apps.accounts.services import user_register
from apps.billing.models import QuotaAlert
from apps.billing.services import (
    invoice_create,
    invoice_mark_paid,
    subscription_cancel,
    subscription_start,
    usage_record,
)
from apps.mail.models import OutboundEmail
from tests.factories import make_organization, make_plan, make_user

pytestmark = pytest.mark.django_db


def sent(provider, subject_part: str):
    matches = [m for m in provider if subject_part in m.subject]
    assert len(matches) == 1, [m.subject for m in provider]
    return matches[0]


def link(message, path_part: str) -> str:
    url = re.search(rf"https?://[^\s)]*{path_part}[^\s)]*", message.body).group(0)
    return url.removeprefix("http://127.0.0.1:8000")


@pytest.mark.embedded
def test_signup_sends_welcome_and_a_verification_link_that_verifies(
    client, templates, provider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        user = user_register(
            email="Ada@Example.com", password="a-long-password-1", full_name="Ada L"
        )
    assert sent(provider, "Welcome to SummaSaaS, Ada").to == ["ada@example.com"]
    verification = sent(provider, "Confirm your email address")
    response = client.get(link(verification, "/accounts/verify/"))
    assert response.status_code == 200 and b"verified" in response.content
    user.refresh_from_db()
    assert user.email_verified_at is not None
    assert client.get("/accounts/verify/tampered/").status_code == 400


def test_password_reset_sends_our_template_with_a_working_link(
    client, templates, provider, django_capture_on_commit_callbacks
):
    make_user("ada@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password_reset/", {"email": "ada@example.com"})
    assert response.status_code == 302
    message = sent(provider, "Reset your SummaSaaS password")
    assert "Choose a new password" in message.alternatives[0].content
    confirm = client.get(link(message, "/accounts/reset/"))
    assert confirm.status_code == 302 and "set-password" in confirm["Location"]


def test_billing_events_email_the_owner_once_each(
    templates, provider, django_capture_on_commit_callbacks
):
    owner = make_user("owner@example.com", full_name="Olga Owner")
    with django_capture_on_commit_callbacks(execute=True):
        organization = make_organization("Acme", owner=owner)
        pro = make_plan("pro", characters=1_000_000, price="49")
        subscription = subscription_start(organization=organization, plan=pro)
        invoice = invoice_create(organization=organization, amount=pro.price)
        invoice_mark_paid(invoice=invoice)
        invoice_mark_paid(invoice=invoice)  # paying twice sends nothing more
        subscription_cancel(subscription=subscription)
    assert "1,000,000" in sent(provider, "You're on the Pro plan").body
    receipt = sent(provider, f"Receipt for invoice {invoice.number}")
    assert "49.00 USD" in receipt.body and receipt.to == ["owner@example.com"]
    assert "stays active until" in sent(provider, "Your Pro subscription is canceled").body


@pytest.mark.embedded
def test_crossing_80_and_100_percent_alerts_once_per_month(
    templates, provider, django_capture_on_commit_callbacks
):
    organization = make_organization(plan=make_plan(characters=10_000))
    with django_capture_on_commit_callbacks(execute=True):
        usage_record(organization=organization, characters=7_000)
        usage_record(organization=organization, characters=1_500)  # 85 %: crosses 80
        usage_record(organization=organization, characters=100)  # still above 80: nothing new
        usage_record(organization=organization, characters=2_000)  # 106 %: crosses 100
        usage_record(organization=organization, characters=50)
    assert sorted(QuotaAlert.objects.values_list("threshold", flat=True)) == [80, 100]
    warning = sent(provider, "has used 85 % of this month")
    assert "Remaining 1,500" in " ".join(warning.body.split())
    assert "/accounts/plan/" in warning.body and warning.to == [organization.owner.email]
    full = sent(provider, "has used all of this month's characters")
    assert "10,600" in full.body and "Remaining 0" in " ".join(full.body.split())
    alerts = OutboundEmail.objects.filter(template_key__startswith="quota_alert")
    assert alerts.count() == 2
