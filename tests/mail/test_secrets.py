"""No staff member, superuser included, can read a reset or verification link in the console.

Over real HTTP (a live server, a requests session per staff member): every console page of a
password-reset and a verification email is fetched and scanned for the token; a retry of the
reset email, before it is delivered, still sends a link that resets the password.
"""

import email
import email.policy
import re
from urllib.parse import urljoin

import pytest
import requests
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client

from apps.accounts.models import User
from apps.accounts.services import user_register
from apps.console.roles import VIEWER
from apps.mail.exceptions import SecretsGoneError
from apps.mail.models import OutboundEmail
from apps.mail.secrets import MASK, dedupe_digest, seal, unseal
from apps.mail.services import (
    email_deliver,
    email_resend,
    email_retry,
    secrets_expire,
    send_email,
)
from tests.factories import make_user

Status = OutboundEmail.Status
RESET_PATH = re.compile(r"/accounts/reset/([^/\s\"')]+)/([^/\s\"')]+)/")
# Console links a crawl must not follow: they log out or change something on GET.
SKIP = re.compile(r"logout|/delete/|/password/|/restore/|/retry/|/resend/|/run|/revoke|/clear")


def session_for(user, live_server) -> requests.Session:
    """A requests session logged in as `user` on the live server."""
    client = Client()
    client.force_login(user)
    session = requests.Session()
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    session.cookies.set(settings.SESSION_COOKIE_NAME, cookie)
    session.base = live_server.url
    return session


def crawl(session: requests.Session, start: list[str], secrets: list[str]) -> int:
    """GET every start page and every console page they link to; fail on any secret shown."""
    seen, queue = set(), [*start]
    depth = {url: 0 for url in start}
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = session.get(urljoin(session.base, url), allow_redirects=False, timeout=30)
        assert response.status_code < 500, (url, response.status_code)
        body = response.text
        for secret in secrets:
            assert secret not in body, f"{url} shows a secret ({secret[:12]}...)"
        if depth[url] >= 1:
            continue
        for link in re.findall(r'href="(/admin/[^"#]*)"', body):
            link = link.replace("&amp;", "&")
            if not SKIP.search(link) and link not in depth:
                depth[link] = depth[url] + 1
                queue.append(link)
    return len(seen)


def reset_over_http(live_server, address: str) -> None:
    session = requests.Session()
    page = session.get(f"{live_server.url}/accounts/password_reset/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        f"{live_server.url}/accounts/password_reset/",
        data={"email": address, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{live_server.url}/accounts/password_reset/"},
        timeout=30,
    )
    assert response.status_code == 200 and "password_reset/done" in response.url


@pytest.mark.django_db(transaction=True)
def test_no_staff_member_sees_a_usable_link_and_a_retry_still_sends_a_working_one(
    live_server, templates, smtp_sink
):
    # Every attempt meets a 451 until the retry below: the emails stay queued, their secrets
    # kept for that retry.
    sink, _ = smtp_sink(fail_first=1000)
    customer = make_user("ada@example.com")
    reset_over_http(live_server, "ada@example.com")
    reset = OutboundEmail.objects.get(template_key="password_reset")
    assert reset.status == Status.QUEUED and reset.attempts == 1 and sink.messages == []
    reset_url = unseal(reset.sealed_secrets)["reset_url"]
    uid, token = RESET_PATH.search(reset_url).groups()
    user_register(email="bob@example.com", password="a-long-password-1")  # + a verification
    verification = OutboundEmail.objects.get(template_key="email_verification")
    verify_token = unseal(verification.sealed_secrets)["verify_url"].rstrip("/").rsplit("/", 1)[1]
    secrets = [token, reset_url, f"{uid}/{token}", verify_token]

    # What is stored in sight holds no secret: context, dedupe key, subject.
    for row in (reset, verification):
        visible = f"{row.context} {row.dedupe_key} {row.subject} {row.last_error}"
        assert not any(secret in visible for secret in secrets)
        assert row.dedupe_key.startswith("sha256:") and MASK in row.context.values()

    viewer = User.objects.create_user(email="viewer@summasaas.example", is_staff=True)
    viewer.groups.add(Group.objects.get(name=VIEWER))
    admin = User.objects.create_superuser(email="root@summasaas.example", password=None)
    pages = [
        f"/admin/mail/outboundemail/{row.pk}/{page}/"
        for row in (reset, verification)
        for page in ("change", "history")
    ]
    pages += [
        "/admin/mail/outboundemail/",
        "/admin/mail/outboundemail/?q=ada@example.com",
        "/admin/mail/emailevent/",
        "/admin/jobs/taskrun/",
        "/admin/",
    ]
    crawled = crawl(session_for(viewer, live_server), pages, secrets)

    # It gives up (every attempt met a 451) and a superuser resends it: the copy's pages show
    # no secret either, and its JSON-ish views. (An email still on its way is not resent.)
    OutboundEmail.objects.filter(pk=reset.pk).update(status=Status.FAILED)
    su = session_for(admin, live_server)
    page = su.get(f"{live_server.url}/admin/mail/outboundemail/{reset.pk}/change/", timeout=30)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = su.post(
        f"{live_server.url}/admin/mail/outboundemail/{reset.pk}/resend/",
        data={"_form_submitted": "on", "csrfmiddlewaretoken": csrf},
        headers={"Referer": page.url},
        timeout=30,
    )
    assert response.status_code == 200 and token not in response.text
    copy = OutboundEmail.objects.exclude(pk__in=[reset.pk, verification.pk]).get(to=reset.to)
    assert copy.context == reset.context and unseal(copy.sealed_secrets)["reset_url"] == reset_url
    pages += [f"/admin/mail/outboundemail/{copy.pk}/change/", "/admin/console/auditentry/"]
    crawled += crawl(su, pages, secrets)
    assert crawled > 30  # the crawl really went through the console

    # The operator's Retry, before delivery: the sink gets a working link, and the secret is
    # then wiped.
    OutboundEmail.objects.filter(pk=copy.pk).update(status=Status.SKIPPED)  # one email, not two
    sink.fail_first = 0  # the server is back
    reset.refresh_from_db()
    assert email_retry(email=reset)  # tasks run inline here: delivered at once
    reset.refresh_from_db()
    assert reset.status == Status.SENT
    assert reset.sealed_secrets == "" and reset.secret_keys == ["reset_url"]
    parsed = [email.message_from_bytes(m, policy=email.policy.default) for m in sink.messages]
    [message] = [m for m in parsed if m["X-Outbox-Id"] == str(reset.pk)]  # sent once
    link = RESET_PATH.search(message.get_body(("plain",)).get_content()).group(0)
    assert token in link
    browser = requests.Session()
    form = browser.get(f"{live_server.url}{link}", timeout=30)  # redirects to set-password
    assert form.status_code == 200 and "set-password" in form.url
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    done = browser.post(
        form.url,
        data={
            "new_password1": "A-new-password-42",
            "new_password2": "A-new-password-42",
            "csrfmiddlewaretoken": csrf,
        },
        headers={"Referer": form.url},
        timeout=30,
    )
    assert done.url.endswith("/accounts/reset/done/")
    customer.refresh_from_db()
    assert customer.check_password("A-new-password-42")
    # After delivery nothing can be copied any more: the link is gone for good.
    with pytest.raises(SecretsGoneError, match="must ask for a new one"):
        email_resend(email=reset)
    crawl(
        session_for(admin, live_server), [f"/admin/mail/outboundemail/{reset.pk}/change/"], secrets
    )


@pytest.mark.django_db
@pytest.mark.embedded
def test_expired_secrets_are_wiped_and_the_email_then_fails_with_the_reason(
    templates, provider, settings
):
    row = send_email(
        template_key="password_reset",
        to="ada@example.com",
        context={"name": "Ada", "expires_in_days": "3"},
        secrets={"reset_url": "https://x.example/accounts/reset/MQ/abc-123/"},
        dedupe_key="password_reset:1:abc-123",
    )
    assert row.dedupe_key == dedupe_digest("password_reset:1:abc-123")
    assert secrets_expire() == 0
    settings.MAIL_SECRETS_MAX_AGE_HOURS = -1
    assert secrets_expire() == 1
    row = email_deliver(email_id=row.pk)
    assert row.status == Status.FAILED and "link expired" in row.last_error
    assert provider == []


@pytest.mark.django_db
@pytest.mark.embedded
def test_a_rotated_secret_key_still_opens_values_sealed_with_the_old_one(settings):
    sealed = seal({"reset_url": "https://x.example/r/1/"})
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-brand-new-key-after-rotation-0123456789"
    assert unseal(sealed) == {"reset_url": "https://x.example/r/1/"}
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(ValueError, match="SECRET_KEY_FALLBACKS"):
        unseal(sealed)


@pytest.mark.django_db
def test_the_data_migration_hides_old_links_and_its_reverse_restores_undelivered_ones():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("apps.mail.migrations.0004_outbox_secrets_data")
    link = "https://x.example/accounts/reset/MQ/abc-123/"
    old = [
        OutboundEmail.objects.create(
            template_key="password_reset",
            to="ada@example.com",
            status=status,
            context={"name": "Ada", "reset_url": link},
            dedupe_key=f"password_reset:1:{status}",
        )
        for status in ("queued", "sent")
    ]
    welcome = OutboundEmail.objects.create(
        template_key="welcome", to="ada@example.com", context={"name": "Ada"}, dedupe_key="w:1"
    )
    migration.hide_links(apps, None)
    queued, sent = (OutboundEmail.objects.get(pk=row.pk) for row in old)
    for row in (queued, sent):
        assert row.context == {"name": "Ada", "reset_url": MASK}
        assert row.dedupe_key == dedupe_digest(f"password_reset:1:{row.status}")
    assert unseal(queued.sealed_secrets) == {"reset_url": link} and sent.sealed_secrets == ""
    assert OutboundEmail.objects.get(pk=welcome.pk).dedupe_key == "w:1"
    migration.restore_links(apps, None)
    queued, sent = (OutboundEmail.objects.get(pk=row.pk) for row in old)
    assert queued.context["reset_url"] == link and sent.context["reset_url"] == MASK
