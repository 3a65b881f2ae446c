"""One-click unsubscribe and the preferences page, reached by signed links."""

import pytest
from django.core import signing

from apps.mail.models import EmailPreference, OutboundEmail
from apps.mail.services import email_deliver, send_email, unsubscribe_url
from apps.mail.tokens import make_preferences_token

pytestmark = pytest.mark.django_db


def path_of(url: str) -> str:
    return url.removeprefix("http://127.0.0.1:8000")


@pytest.mark.embedded
def test_get_shows_what_will_happen_and_post_unsubscribes_the_category(client, templates, provider):
    url = path_of(unsubscribe_url(address="ada@example.com", category="alerts"))
    page = client.get(url)
    assert page.status_code == 200
    assert b"ada@example.com" in page.content and b"alerts emails" in page.content
    assert b"<button" in page.content
    assert not EmailPreference.objects.exists()  # a GET changes nothing
    done = client.post(url, {"List-Unsubscribe": "One-Click"})  # RFC 8058, no CSRF token
    assert done.status_code == 200 and b"unsubscribed" in done.content
    preference = EmailPreference.objects.get()
    assert (preference.address, preference.category, preference.subscribed) == (
        "ada@example.com",
        "alerts",
        False,
    )
    row = send_email(
        template_key="quota_alert_100",
        to="ada@example.com",
        context={
            "name": "A",
            "organization_name": "O",
            "month": "M",
            "used": "1",
            "limit": "1",
            "remaining": "0",
            "percent": "100",
            "upgrade_url": "https://u/",
        },
    )
    assert email_deliver(email_id=row.pk).status == OutboundEmail.Status.SKIPPED


def test_the_one_click_post_works_with_csrf_checks_on(templates):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    url = path_of(unsubscribe_url(address="ada@example.com", category="digest"))
    form = "application/x-www-form-urlencoded"
    response = client.post(url, "List-Unsubscribe=One-Click", content_type=form)
    assert response.status_code == 200
    assert EmailPreference.objects.get().category == "digest"


def test_an_altered_link_shows_a_clear_page_and_changes_nothing(client, templates):
    url = path_of(unsubscribe_url(address="ada@example.com", category="alerts"))
    forged = url.replace("ada", "bob", 1) if "ada" in url else url[:-5] + "xxxx/"
    for response in (client.get(forged), client.post(forged), client.get("/email/unsubscribe/x/")):
        assert response.status_code == 400
        assert b"This link can" in response.content and b"not valid" in response.content
    assert not EmailPreference.objects.exists()


def test_a_token_cannot_be_reused_for_another_address(client, templates):
    token = signing.loads(
        path_of(unsubscribe_url(address="ada@example.com", category="alerts")).split("/")[3],
        salt="mail.unsubscribe",
    )
    assert token == {"a": "ada@example.com", "c": "alerts"}  # the address is signed in


def test_a_stale_link_says_it_expired(client, templates, time_machine):
    time_machine.move_to("2026-01-01T00:00:00Z")
    url = path_of(unsubscribe_url(address="ada@example.com", category="alerts"))
    time_machine.move_to("2027-01-01T00:00:00Z")
    response = client.get(url)
    assert response.status_code == 400 and b"expired" in response.content


def test_the_preferences_page_lists_categories_and_saves_choices(client, templates):
    url = f"/email/preferences/{make_preferences_token(address='ada@example.com')}/"
    page = client.get(url)
    assert page.status_code == 200 and b"Transactional" in page.content
    client.post(url, {"alerts": "on"})
    off = set(EmailPreference.objects.filter(subscribed=False).values_list("category", flat=True))
    assert off == {"reports", "digest"}
    assert client.get("/email/preferences/forged/").status_code == 400


def test_a_link_for_a_category_that_no_longer_exists_shows_a_clear_page(client, templates):
    from apps.mail.tokens import make_unsubscribe_token

    token = make_unsubscribe_token(address="ada@example.com", category="newsletter")
    response = client.get(f"/email/unsubscribe/{token}/")
    assert response.status_code == 400 and b"no longer send" in response.content


def test_the_digest_is_opt_in_and_other_categories_are_on_until_switched_off(templates):
    from apps.mail.services import preference_set, preferences_for

    assert preferences_for(address="new@example.com") == {
        "transactional": True,
        "alerts": True,
        "reports": True,
        "digest": False,
    }
    preference_set(address="new@example.com", category="digest", subscribed=True)
    assert preferences_for(address="NEW@example.com")["digest"] is True
