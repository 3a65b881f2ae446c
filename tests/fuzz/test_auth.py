"""Hostile input to the public auth forms: never a 500, never half a signup, never a second
account for a taken address. Fields are posted as a hostile client's bytes (a lone surrogate
as invalid UTF-8), with the shared `hostile_text` (NULs, lone surrogates, non-BMP)."""

from urllib.parse import urlencode

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from apps.accounts.models import Membership, Organization, User
from apps.mail.models import OutboundEmail
from tests.factories import make_organization, make_user
from tests.strategies import hostile_text as shared_hostile_text

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

FORMS = {
    "/accounts/signup/": ["email", "password", "organization_name", "language"],
    "/accounts/login/": ["username", "password"],
    "/admin/login/": ["username", "password"],
    "/accounts/password_reset/": ["email"],
    "/admin/password_reset/": ["email"],
    "/accounts/verify/resend/": ["email"],
}
hostile_text = st.one_of(
    st.text(max_size=300),
    shared_hostile_text(max_size=300),
    st.sampled_from(
        [
            "",
            "\x00",
            "a@b.c\x00",
            "ada@example.com",
            "ADA@example.com",
            "ada@example.com\ud800",
            "a" * 5000 + "@example.com",
            "../../etc/passwd",
            "<script>alert(1)</script>",
            "en",
            "fr",
            "😀" * 100,
        ]
    ),
)


@pytest.fixture
def open_limits(settings):
    settings.AUTH_RATE_PER_IP = settings.AUTH_RATE_PER_ADDRESS = "100000/m"


@pytest.fixture
def taken():
    """An address with its account and organization: signing up with it creates nothing."""
    make_organization(owner=make_user("ada@example.com"))


@pytest.mark.parametrize("url", FORMS)
def test_auth_forms_answer_hostile_fields_without_a_500_or_a_half_signup(open_limits, taken, url):
    @given(st.fixed_dictionaries({f: hostile_text for f in FORMS[url]}), st.booleans())
    def attempt(data, duplicate_keys):
        client = Client(raise_request_exception=False)
        body = {k: [v, v[::-1]] for k, v in data.items()} if duplicate_keys else data
        encoded = urlencode(body, doseq=True, encoding="utf-8", errors="surrogatepass")
        response = client.post(url, encoded, content_type="application/x-www-form-urlencoded")
        assert response.status_code < 500, response.content[:500]
        assert User.objects.filter(email__iexact="ada@example.com").count() == 1
        users = User.objects.count()
        assert Organization.objects.count() == Membership.objects.count() == users
        signups = OutboundEmail.objects.filter(template_key__in=["welcome", "email_verification"])
        assert signups.count() == 2 * (users - 1)  # a taken address is emailed, not signed up

    attempt()
