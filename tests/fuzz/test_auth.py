"""Hostile input to the public auth forms: never a 500, never half a signup."""

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from apps.accounts.models import Membership, Organization, User
from apps.mail.models import OutboundEmail

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

FORMS = {
    "/accounts/signup/": ["email", "password", "organization_name", "language"],
    "/accounts/login/": ["username", "password"],
    "/admin/login/": ["username", "password"],
    "/accounts/password_reset/": ["email"],
    "/accounts/verify/resend/": ["email"],
}
hostile_text = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["", "\x00", "a@b.c\x00", "ada@example.com", "a" * 5000 + "@example.com",
                     "../../etc/passwd", "<script>alert(1)</script>", "en", "fr", "😀" * 100]),
)  # fmt: skip


@pytest.fixture
def open_limits(settings):
    settings.AUTH_RATE_PER_IP = settings.AUTH_RATE_PER_ADDRESS = "100000/m"


@pytest.mark.parametrize("url", FORMS)
def test_auth_forms_answer_hostile_fields_without_a_500_or_a_half_signup(open_limits, url):
    @given(st.fixed_dictionaries({f: hostile_text for f in FORMS[url]}), st.booleans())
    def attempt(data, duplicate_keys):
        client = Client(raise_request_exception=False)
        body = {k: [v, v[::-1]] for k, v in data.items()} if duplicate_keys else data
        response = client.post(url, body)
        assert response.status_code < 500, response.content[:500]
        users = User.objects.count()
        assert Organization.objects.count() == Membership.objects.count() == users
        assert OutboundEmail.objects.count() == 2 * users

    attempt()
