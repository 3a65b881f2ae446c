"""The customer's signup, sign-in, verification resend and language pages."""

import pytest

from apps.accounts.models import Membership, User
from apps.mail.models import OutboundEmail
from tests.factories import make_user

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "Ada@Example.com",
    "password": "a-long-password-1",
    "organization_name": "Acme Writers",
    "language": "en",
}


@pytest.fixture(autouse=True)
def _shipped_templates(templates):
    """Signup sends the shipped emails."""


def test_signup_creates_the_login_an_owned_organization_and_both_emails(client):
    response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 302 and response["Location"] == "/accounts/signup/done/"
    done = client.get("/accounts/signup/done/").content.decode()
    assert "Check your email" in done and "We sent a message to ada@example.com" in done
    user = User.objects.get()
    assert user.email == "ada@example.com" and user.email_verified_at is None
    membership = Membership.objects.get(user=user)
    assert (membership.organization.name, membership.role) == ("Acme Writers", "owner")
    sent = set(OutboundEmail.objects.values_list("template_key", flat=True))
    assert sent == {"welcome", "email_verification"}
    client.post("/accounts/login/", {"username": "ada@example.com", "password": SIGNUP["password"]})
    page = client.get("/accounts/").content.decode()
    assert "Acme Writers" in page and "not verified yet" in page


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"password": "12345678"}, "entirely numeric"),
        ({"password": "short"}, "too short"),
        ({"email": "not-an-address"}, "valid email"),
        ({"organization_name": ""}, "required"),
        ({"organization_name": "Acme\x00"}, "NUL"),
        ({"language": "de"}, "valid choice"),
    ],
)
def test_a_bad_signup_shows_the_form_again_with_the_reason_and_stores_nothing(
    client, change, error
):
    response = client.post("/accounts/signup/", {**SIGNUP, **change})
    assert response.status_code == 200 and error in response.content.decode()
    assert not User.objects.exists() and not OutboundEmail.objects.exists()


def test_signing_up_with_a_taken_address_never_says_so_and_tells_the_owner_instead(client):
    make_user("ada@example.com")
    response = client.post("/accounts/signup/", SIGNUP, follow=True)
    assert "Check your email" in response.content.decode()
    assert "already has an account" not in response.content.decode()
    assert User.objects.count() == 1
    assert list(OutboundEmail.objects.values_list("template_key", flat=True)) == ["account_exists"]


def test_a_new_verification_link_goes_only_to_an_unverified_account(client):
    client.post("/accounts/signup/", SIGNUP)
    make_user("verified@example.com").__class__.objects.filter(email="verified@example.com").update(
        email_verified_at="2026-01-01T00:00Z"
    )
    for address in ("ada@example.com", "verified@example.com", "nobody@example.com"):
        response = client.post("/accounts/verify/resend/", {"email": address}, follow=True)
        assert "If that address has an account" in response.content.decode()
    links = OutboundEmail.objects.filter(template_key="email_verification")
    assert list(links.values_list("to", flat=True)) == ["ada@example.com"] * 2


def test_signing_in_opens_the_account_page_and_signing_out_ends_the_session(client):
    make_user("ada@example.com")
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and "unfold" not in page.content.decode()
    response = client.post(
        "/accounts/login/", {"username": "ada@example.com", "password": "pw-for-tests-123"}
    )
    assert response["Location"] == "/accounts/"
    assert client.get("/accounts/").status_code == 200
    assert client.post("/accounts/logout/")["Location"] == "/accounts/login/"
    assert client.get("/accounts/")["Location"].startswith("/accounts/login/")


def test_the_account_page_changes_the_email_language(client):
    user = make_user("ada@example.com")
    client.force_login(user)
    client.post("/accounts/language/", {"language": "fr"})
    user.refresh_from_db()
    assert user.language == "fr"
    response = client.post("/accounts/language/", {"language": "xx"}, follow=True)
    assert "Choose one of the languages" in response.content.decode()
    user.refresh_from_db()
    assert user.language == "fr"


def test_the_reset_form_and_its_pages_are_the_plain_customer_pages(client):
    make_user("ada@example.com")
    form = client.get("/accounts/password_reset/").content.decode()
    assert "Reset your password" in form and "unfold" not in form
    response = client.post("/accounts/password_reset/", {"email": "ada@example.com"}, follow=True)
    assert "Check your inbox" in response.content.decode()
    assert OutboundEmail.objects.filter(template_key="password_reset").count() == 1
