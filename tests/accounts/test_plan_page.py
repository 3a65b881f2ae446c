"""The customer's plan page (issue 19.3): the plans, this month's usage, how to change plan.

On 01ea189 the quota alerts linked to SITE_URL/pricing/ (a 404) and the welcome email's
"Open your dashboard" to /, which sent a signed-in customer to the staff console's login.
"""

import pytest
from django.conf import settings
from django.test import Client

from apps.billing.services import usage_record
from tests.factories import make_organization, make_plan, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


@pytest.fixture
def customer():
    # The starting plans come from a data migration, which a transactional test's flush
    # empties: the page's three plans are made here, whatever ran before.
    make_plan("free", 10_000, "0")
    owner = make_user("owner@acme.example", full_name="Ada Lovelace")
    organization = make_organization("Acme", plan=make_plan("pro", 1_000_000, "29"), owner=owner)
    make_plan("business", 10_000_000, "199")
    usage_record(organization=organization, characters=742_310)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    return client


def test_the_plan_page_shows_the_plans_the_usage_and_how_to_change(customer):
    page = customer.get("/accounts/plan/")
    assert page.status_code == 200
    text = " ".join(page.content.decode().split())
    assert "Acme is on the <strong>Pro</strong> plan: 1,000,000 characters a month" in text
    assert "742,310 of 1,000,000 characters used this month (74.2 %)" in text
    assert "257,690 left" in text
    for name, characters, price in [
        ("Free", "10,000", "Free"),
        ("Pro", "1,000,000", "29.00 USD a month"),
        ("Business", "10,000,000", "199.00 USD a month"),
    ]:
        assert f"<td><strong>{name}</strong></td> <td>{characters}</td> <td>{price}" in text
    assert "Your plan" in text and "Ask for Business" in text
    assert "How to change plan" in text and 'href="/accounts/"' in text


def test_signed_out_the_plan_page_asks_to_sign_in_and_then_shows_it():
    page = Client().get("/accounts/plan/")
    assert page.status_code == 302
    assert page["Location"] == "/accounts/login/?next=/accounts/plan/"


def test_a_login_without_an_organization_gets_a_page_that_says_so():
    client = Client()
    client.force_login(make_user("loner@example.com"))
    page = client.get("/accounts/plan/")
    assert page.status_code == 200 and "not part of an organization" in page.content.decode()


def test_the_account_page_and_the_quota_alerts_lead_to_the_plan_page(customer):
    assert 'href="/accounts/plan/"' in customer.get("/accounts/").content.decode()
    assert settings.UPGRADE_URL == settings.SITE_URL + "/accounts/plan/"


def test_the_site_root_takes_a_signed_in_customer_to_the_account_and_staff_to_the_console(
    customer, admin_client
):
    assert customer.get("/")["Location"] == "/accounts/"
    assert admin_client.get("/")["Location"] == "/admin/"
    assert Client().get("/")["Location"] == "/admin/"
