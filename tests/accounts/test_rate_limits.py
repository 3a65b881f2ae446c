"""Public auth forms answer 429 with Retry-After past their per-IP and per-address limits."""

import datetime as dt

import pytest
import redis
import time_machine
from django.conf import settings as django_settings

from apps.accounts.models import User
from tests.conftest import load_shipped_templates
from tests.factories import make_user

pytestmark = pytest.mark.django_db

# (url, the field holding the address, other fields a real form sends)
ENDPOINTS = [
    ("/accounts/login/", "username", {"password": "wrong-password"}),
    ("/admin/login/", "username", {"password": "wrong-password"}),
    ("/accounts/password_reset/", "email", {}),
    ("/admin/password_reset/", "email", {}),
    ("/accounts/verify/resend/", "email", {}),
    ("/accounts/signup/", "email", {"password": "x", "organization_name": "Acme"}),
]
IDS = [url for url, *_ in ENDPOINTS]


@pytest.fixture(autouse=True)
def frozen_clock():
    """The limits count in fixed windows: a test must not straddle a window's end by chance."""
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as traveller:
        yield traveller


def post(client, url, field, extra, address, ip):
    return client.post(url, {field: address, **extra}, REMOTE_ADDR=ip)


def assert_refused(response):
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60
    page = response.content.decode()
    assert "Too many attempts" in page and "unfold" not in page  # the plain page, not admin's
    return retry_after


@pytest.mark.embedded
@pytest.mark.parametrize(("url", "field", "extra"), ENDPOINTS, ids=IDS)
def test_the_attempt_past_the_per_ip_limit_gets_429_until_the_window_resets(
    client, settings, frozen_clock, url, field, extra
):
    settings.AUTH_RATE_PER_IP, settings.AUTH_RATE_PER_ADDRESS = "3/m", "100/m"
    for n in range(3):
        assert post(client, url, field, extra, f"a{n}@example.com", "10.0.0.1").status_code != 429
    retry_after = assert_refused(post(client, url, field, extra, "a9@example.com", "10.0.0.1"))
    # Another client is not held back by this one.
    assert post(client, url, field, extra, "b@example.com", "10.0.0.2").status_code != 429
    frozen_clock.shift(retry_after + 1)
    assert post(client, url, field, extra, "c@example.com", "10.0.0.1").status_code != 429


@pytest.mark.parametrize(("url", "field", "extra"), ENDPOINTS, ids=IDS)
def test_the_attempt_past_the_per_address_limit_gets_429_from_any_ip(
    client, settings, url, field, extra
):
    settings.AUTH_RATE_PER_IP, settings.AUTH_RATE_PER_ADDRESS = "100/m", "3/m"
    spellings = ["ada@example.com", "ADA@example.com", " ada@Example.com "]
    for n, address in enumerate(spellings):
        assert post(client, url, field, extra, address, f"10.1.0.{n}").status_code != 429
    assert_refused(post(client, url, field, extra, "ada@example.com", "10.1.0.9"))
    assert post(client, url, field, extra, "bob@example.com", "10.1.0.9").status_code != 429


def test_a_refused_signup_stores_nothing_and_the_counters_live_in_redis(client, settings):
    load_shipped_templates()
    settings.AUTH_RATE_PER_IP = "1/m"
    form = {"password": "a-long-password-1", "organization_name": "Acme", "language": "fr"}
    first = client.post("/accounts/signup/", {"email": "ada@example.com", **form})
    assert first.status_code == 302 and first["Location"] == "/accounts/signup/done/"
    assert User.objects.get().language == "fr"
    assert_refused(client.post("/accounts/signup/", {"email": "bob@example.com", **form}))
    assert list(User.objects.values_list("email", flat=True)) == ["ada@example.com"]
    keys = redis.Redis.from_url(django_settings.REDIS_URL).keys("*rl:*")
    assert keys, "rate-limit counters are not in Redis"


def test_a_right_password_under_the_limit_signs_in_and_over_it_is_refused(client, settings):
    settings.AUTH_RATE_PER_ADDRESS = "2/m"
    make_user("ada@example.com")
    wrong = {"username": "ada@example.com", "password": "guess-1"}
    assert client.post("/accounts/login/", wrong).status_code == 200  # the form, with an error
    right = {"username": "ada@example.com", "password": "pw-for-tests-123"}
    response = client.post("/accounts/login/", right)
    assert response.status_code == 302 and response["Location"] == "/accounts/"
    client.logout()
    assert_refused(client.post("/admin/login/", right))  # the console shares the counter


def test_the_client_ip_is_read_from_the_proxy_header_when_configured(client, settings):
    settings.AUTH_RATE_PER_IP, settings.RATELIMIT_IP_META_KEY = "1/m", "HTTP_FLY_CLIENT_IP"
    url, data = "/accounts/password_reset/", {"email": "a@example.com"}
    assert client.post(url, data, HTTP_FLY_CLIENT_IP="203.0.113.5").status_code == 302
    assert client.post(url, data, HTTP_FLY_CLIENT_IP="203.0.113.6").status_code == 302
    assert_refused(client.post(url, data, HTTP_FLY_CLIENT_IP="203.0.113.5"))
