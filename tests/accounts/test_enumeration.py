"""Signup and password reset answer the same for an address with an account and one without.

Through `Client(enforce_csrf_checks=True)`, as a browser posts: status, headers that matter
and bodies are identical (the address typed aside); with the real queue, the request itself
runs the same SQL for both and never reads the users table (the lookup is the task's, so the
answer takes the same time). The task then sends what fits: a reset link only to an account,
"you already have an account" (never a second user) to an existing address.
tests/accounts/test_reset_timing.py measures the reset's times over real HTTP.
"""

import re

import pytest
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from huey.contrib.djhuey import HUEY

from apps.accounts.anonymous import password_reset_send, signup_process
from apps.accounts.models import Membership, Organization, User
from apps.accounts.services import verification_email_resend
from apps.jobs.recorder import recorder
from apps.mail.models import OutboundEmail
from apps.mail.secrets import unseal
from tests.factories import make_user

pytestmark = pytest.mark.django_db
KNOWN, UNKNOWN = "ada@example.com", "bob@example.com"
SIGNUP = {"password": "a-long-password-1", "organization_name": "Acme", "language": "en"}


@pytest.fixture(autouse=True)
def _shipped_templates(templates):
    """Signup sends the shipped emails."""


@pytest.fixture
def owner():
    return make_user(KNOWN, full_name="Ada Lovelace")


def post(path: str, data: dict, follow: bool = False):
    """A fresh browser: the form's page, then the form posted with its CSRF token."""
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(path).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    return browser.post(path, {**data, "csrfmiddlewaretoken": token}, follow=follow)


def seen(response, address: str) -> tuple:
    """What the visitor sees of an answer: status, where it leads, the page without the
    address they typed themselves (and the per-request CSRF token)."""
    body = response.content.decode().replace(address, "ADDRESS")
    body = re.sub(r'value="[^"]{64}"', 'value="TOKEN"', body)
    body = re.sub(r'nonce="[^"]+"', 'nonce="NONCE"', body)  # each response has its own
    chain = list(getattr(response, "redirect_chain", []))
    return response.status_code, response.get("Location"), chain, body


@pytest.mark.parametrize("path", ["/accounts/password_reset/", "/admin/password_reset/"])
def test_a_reset_answers_the_same_for_a_known_and_an_unknown_address(owner, path):
    known = post(path, {"email": KNOWN}, follow=True)
    unknown = post(path, {"email": UNKNOWN}, follow=True)
    assert seen(known, KNOWN) == seen(unknown, UNKNOWN)
    assert known.redirect_chain == [("/accounts/password_reset/done/", 302)]
    assert "If that address has an account" in known.content.decode()
    sent = OutboundEmail.objects.filter(template_key="password_reset")
    assert list(sent.values_list("to", flat=True)) == [KNOWN]  # the task found the account


def test_a_verification_resend_answers_the_same_whoever_has_an_account(owner):
    known = post("/accounts/verify/resend/", {"email": KNOWN}, follow=True)
    unknown = post("/accounts/verify/resend/", {"email": UNKNOWN}, follow=True)
    assert seen(known, KNOWN) == seen(unknown, UNKNOWN)
    assert "If that address has an account waiting" in known.content.decode()
    sent = OutboundEmail.objects.filter(template_key="email_verification")
    assert list(sent.values_list("to", flat=True)) == [KNOWN]


def test_signup_answers_the_same_for_a_new_and_a_taken_address(owner):
    taken = post("/accounts/signup/", {"email": KNOWN, **SIGNUP}, follow=True)
    new = post("/accounts/signup/", {"email": UNKNOWN, **SIGNUP}, follow=True)
    assert seen(taken, KNOWN) == seen(new, UNKNOWN)
    assert taken.redirect_chain == [("/accounts/signup/done/", 302)]
    page = new.content.decode()
    assert "Check your email" in page and f"We sent a message to {UNKNOWN}" in page
    assert "already has an account" not in taken.content.decode()


def test_a_taken_address_gets_the_account_exists_email_and_no_second_user(owner):
    post("/accounts/signup/", {"email": "ADA@example.com", **SIGNUP})
    assert list(User.objects.values_list("email", flat=True)) == [KNOWN]
    assert not Organization.objects.exists() and not Membership.objects.exists()
    owner.refresh_from_db()
    assert owner.check_password("pw-for-tests-123")  # the signup's password changed nothing
    [email] = OutboundEmail.objects.all()
    assert (email.template_key, email.to, email.user_id) == ("account_exists", KNOWN, owner.pk)
    assert email.context["login_url"] == "http://127.0.0.1:8000/accounts/login/"
    reset_url = unseal(email.sealed_secrets)["reset_url"]
    assert email.context["reset_url"] == "•••" and "/accounts/reset/" in reset_url
    confirm = Client().get(reset_url.removeprefix("http://127.0.0.1:8000"))
    assert confirm.status_code == 302 and "set-password" in confirm["Location"]  # it works


def test_a_new_address_gets_its_account_its_emails_and_is_not_signed_in():
    response = post("/accounts/signup/", {"email": "Bob@Example.com", **SIGNUP})
    user = User.objects.get()
    assert user.email == UNKNOWN and user.check_password(SIGNUP["password"])
    assert Membership.objects.get(user=user).organization.name == "Acme"
    sent = set(OutboundEmail.objects.values_list("template_key", flat=True))
    assert sent == {"welcome", "email_verification"}
    assert response["Location"] == "/accounts/signup/done/"
    account = response.client.get("/accounts/")  # signing in is the password's job
    assert account.status_code == 302 and account["Location"].startswith("/accounts/login/")


def test_the_account_exists_email_is_in_the_owners_language(
    settings, django_capture_on_commit_callbacks
):
    settings.MAILERS = {"default": {"BACKEND": "anymail.backends.test.EmailBackend"}}
    mail.outbox = []
    french = make_user("zoe@example.fr", language="fr")
    with django_capture_on_commit_callbacks(execute=True):
        signup_process(email=french.email, password_hash="x", organization_name="A", language="en")
    [message] = mail.outbox
    assert message.subject == "Vous avez déjà un compte SummaSaaS"
    assert "Cette adresse a déjà un compte" in message.alternatives[0].content


@pytest.fixture
def queue():
    """The real broker: what a request enqueues stays there (no consumer), then is dropped."""
    yield
    recorder.flush()  # the enqueues' history rows belong to this test's database
    HUEY.flush()


@pytest.mark.real_queue
def test_the_requests_run_the_same_sql_and_never_read_the_users(owner, queue):
    """The lookup is the queued task's: the request's queries cannot differ by address."""
    queries = {}
    forms = [
        ("/accounts/password_reset/", {}),
        ("/accounts/signup/", SIGNUP),
        ("/accounts/verify/resend/", {}),
    ]
    for path, extra in forms:
        for address in (KNOWN, UNKNOWN):
            with CaptureQueriesContext(connection) as captured:
                response = post(path, {"email": address, **extra})
            assert response.status_code == 302
            sql = [re.sub(r"'[^']*'|\d+", "?", q["sql"]) for q in captured.captured_queries]
            assert not any("accounts_user" in s for s in sql), sql
            queries[path, address] = sql
        assert queries[path, KNOWN] == queries[path, UNKNOWN]
    assert not OutboundEmail.objects.exists() and User.objects.count() == 1  # all queued


def test_a_task_run_twice_sends_each_email_once(owner):
    assert password_reset_send(email=KNOWN, request_id="r1") == 1
    assert password_reset_send(email=KNOWN, request_id="r1") == 1
    assert password_reset_send(email=UNKNOWN, request_id="r2") == 0
    assert OutboundEmail.objects.filter(template_key="password_reset").count() == 1
    fields = {
        "email": "new@example.com",
        "password_hash": make_password("a-long-password-1"),
        "organization_name": "New",
        "language": "en",
    }
    assert signup_process(**fields) == "created"
    assert signup_process(**fields) == "repeated"  # the same signup, run again
    assert signup_process(**{**fields, "password_hash": "other"}) == "exists"
    assert verification_email_resend(email="new@example.com", request_id="r3")
    assert verification_email_resend(email="new@example.com", request_id="r3")
    assert User.objects.filter(email="new@example.com").count() == 1
    keys = OutboundEmail.objects.filter(to="new@example.com").values_list("template_key", flat=True)
    assert sorted(keys) == ["account_exists", "email_verification", "email_verification", "welcome"]


def test_an_inactive_account_is_told_nothing_and_answered_the_same(owner):
    User.objects.filter(pk=owner.pk).update(is_active=False)
    assert seen(post("/accounts/signup/", {"email": KNOWN, **SIGNUP}, follow=True), KNOWN) == (
        seen(post("/accounts/signup/", {"email": UNKNOWN, **SIGNUP}, follow=True), UNKNOWN)
    )
    post("/accounts/password_reset/", {"email": KNOWN})
    assert not OutboundEmail.objects.filter(to=KNOWN).exists()


@pytest.mark.parametrize(
    "path", ["/accounts/signup/", "/accounts/password_reset/", "/accounts/verify/resend/"]
)
def test_a_queue_that_refuses_gets_the_same_503_for_every_address(owner, path, monkeypatch):
    def refuse(task):
        raise ConnectionError("the broker is down")

    monkeypatch.setattr(HUEY, "enqueue", refuse)
    data = SIGNUP if "signup" in path else {}
    known, unknown = (post(path, {"email": a, **data}) for a in (KNOWN, UNKNOWN))
    assert seen(known, KNOWN) == seen(unknown, UNKNOWN)
    assert known.status_code == 503 and known["Retry-After"] == "60"
    assert "try again in a minute" in known.content.decode()
    assert User.objects.count() == 1 and not OutboundEmail.objects.exists()
