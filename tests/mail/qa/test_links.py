"""Links that land: read on sight, followed as the recipient (signed out and in), buttons."""

import dataclasses
import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session

from apps.mail.qa.check import QA_ADDRESS, SKIP, check_email
from apps.mail.qa.document import parse
from apps.mail.qa.emails import email_from_rendered
from apps.mail.qa.links import check_links, sight_problem
from apps.mail.rendering import Rendered
from apps.mail.services import system_context
from tests.mail.qa.conftest import SITE, page

pytestmark = pytest.mark.django_db


def findings_for(href: str, *, recipient: str = "customer", text: str = "the page"):
    html = page(f'<p><a href="{href}">{text}</a></p>')
    return [f for f in check_links(parse(html), recipient=recipient) if f.where == href]


@pytest.mark.parametrize(
    ("href", "why"),
    [
        ("", "goes nowhere (empty or #)"),
        ("#", "goes nowhere (empty or #)"),
        ("https://app.summasaas.example/{{ url }}", "holds template code that was not filled in"),
        ("https://app.summasaas.example/%7B%7B%20url%20%7D%7D", "holds template code"),
        ("http://x.example/", "is not HTTPS"),
        ("https://localhost:8000/a", "points at localhost, which the recipient cannot reach"),
        ("https://127.0.0.1/", "points at localhost"),
        ("https://10.1.2.3/", "points at a private network address"),
        ("https://[bad", "cannot be read as an address"),
        ("javascript:alert(1)", "is not a web address"),
        ("mailto:", "is a mailto: link without an address"),
        ("mailto:not-an-address", "is a mailto: link to 'not-an-address', which is not an email"),
    ],
)
def test_a_link_broken_on_sight_says_why(href, why):
    assert why in (sight_problem(href) or "")


@pytest.mark.parametrize(
    "href",
    ["https://example.com/a?b=1", "mailto:help@summasaas.example?subject=Hi", "tel:+3312345678"],
)
def test_good_links_pass_on_sight(href):
    assert sight_problem(href) is None


def test_a_link_to_a_page_that_does_not_exist_is_an_error_naming_the_path(deployed):
    [finding] = findings_for(f"{SITE}/pricing/")
    assert finding.severity == "error"
    assert finding.message == (
        f"{SITE}/pricing/ goes to a page that does not exist (/pricing/ answers 404) (signed in)"
    )


def test_a_customer_link_that_ends_on_the_staff_login_is_an_error(deployed):
    [finding] = findings_for(f"{SITE}/")
    assert finding.severity == "error"
    assert (
        "lands on the staff console (/admin/login/), which customers cannot use" in finding.message
    )


def test_staff_emails_may_link_into_the_console(deployed):
    [finding] = findings_for(f"{SITE}/admin/jobs/taskrun/?state__exact=error", recipient="staff")
    assert finding.severity == "info"
    assert finding.message.endswith(
        "a signed-out recipient signs in first, then lands on /admin/jobs/taskrun/"
    )
    assert "signed in: 200 at /admin/jobs/taskrun/" in finding.detail


def test_the_account_page_asks_a_signed_out_recipient_to_sign_in_first(deployed):
    [finding] = findings_for(f"{SITE}/accounts/")
    assert finding.severity == "info"
    assert finding.message.endswith(
        "a signed-out recipient signs in first, then lands on /accounts/"
    )
    assert finding.detail == "signed out: 200 at /accounts/login/; signed in: 200 at /accounts/"


def test_unsubscribe_links_are_checked_through_their_signature(deployed):
    url = system_context(address="ada@example.com", category="alerts")["unsubscribe_url"]
    [good] = findings_for(url, text="Unsubscribe")
    assert good.severity == "info" and "lands on /email/unsubscribe/" in good.message
    forged = url.replace("/unsubscribe/", "/unsubscribe/x")
    [bad] = findings_for(forged, text="Unsubscribe")
    assert (
        bad.severity == "error" and "is refused by its page" in bad.message and "400" in bad.message
    )


def test_a_sample_token_stands_for_the_one_made_at_send_time(deployed):
    [finding] = findings_for(f"{SITE}/accounts/reset/MQ/sample-token/")
    assert finding.severity == "info"
    assert "the sample's token stands for the one made at send time" in finding.message


def test_following_links_keeps_nothing(deployed):
    users, sessions = get_user_model().objects.count(), Session.objects.count()
    findings_for(f"{SITE}/accounts/")
    findings_for(f"{SITE}/admin/", recipient="staff")
    assert (get_user_model().objects.count(), Session.objects.count()) == (users, sessions)


def test_other_sites_are_not_fetched(deployed):
    [finding] = findings_for("https://docs.example.org/guide")
    assert finding.severity == "info" and "not fetched" in finding.message


def test_a_development_site_url_on_localhost_is_a_warning_only_while_debugging(settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    settings.DEBUG = True
    sight = findings_for("http://127.0.0.1:8000/accounts/")
    assert {f.severity for f in sight if "localhost" in f.message} == {"warning"}
    assert {
        f.severity for f in findings_for("http://localhost:9999/x") if "localhost" in f.message
    } == {"error"}
    settings.DEBUG = False
    sight = findings_for("http://127.0.0.1:8000/accounts/")
    assert {f.severity for f in sight if "localhost" in f.message} == {"error"}


def test_a_button_outlook_cannot_draw_is_an_error_and_mjml_s_buttons_pass(deployed):
    bare = page(
        '<table><tr><td><a href="https://example.com/" style="background:#4f46e5;color:#fff;'
        'padding:12px 20px;display:inline-block">Pay now</a></td></tr></table>'
    )
    [finding] = [f for f in check_links(parse(bare)) if "Outlook" in f.where]
    assert finding.severity == "error" and "The button “Pay now” has no fallback" in finding.message
    mjml_button = page(
        '<table><tr><td bgcolor="#4f46e5" style="mso-padding-alt:14px 28px;background:#4f46e5;">'
        '<a href="https://example.com/" style="background:#4f46e5;padding:14px 28px;">Pay</a>'
        "</td></tr></table>"
    )
    assert not [f for f in check_links(parse(mjml_button)) if "Outlook" in f.where]
    vml = mjml_button.replace(
        "<table>", "<!--[if mso]><v:roundrect></v:roundrect><![endif]--><table>"
    )
    assert not [
        f for f in check_links(parse(vml.replace(' bgcolor="#4f46e5"', ""))) if "Outlook" in f.where
    ]


def test_an_image_that_cannot_load_is_an_error(deployed):
    html = page('<img src="http://cdn.example.com/a.png" alt="Logo"><img src="{{ logo }}" alt="">')
    messages = [f.message for f in check_links(parse(html)) if f.message.startswith("image")]
    assert messages == [
        "image http://cdn.example.com/a.png is not HTTPS",
        "image {{ logo }} holds template code that was not filled in",
    ]


def test_the_unsubscribe_link_is_found_however_long_the_render_took(deployed):
    """The link in the email is signed when it is rendered, the one looked for a moment later:
    a second boundary between the two changes the signature, never whom the link unsubscribes
    (a loaded machine once reported a shipped email as missing its link)."""
    start = dt.datetime(2026, 12, 6, 9, 0, 0, 900_000, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        rendered = system_context(address=QA_ADDRESS, category="alerts")["unsubscribe_url"]
    html = page(f'<p><a href="{rendered}">Unsubscribe</a></p>')
    with time_machine.travel(start + dt.timedelta(seconds=2), tick=False):
        own = email_from_rendered(
            Rendered(subject="Hi", html=html, text="Hi"),
            key="k",
            language="en",
            category="alerts",
            sources=(),
        )
        someone_else = dataclasses.replace(
            own,
            unsubscribe_url=system_context(address="bo@example.com", category="alerts")[
                "unsubscribe_url"
            ],
        )
    assert own.unsubscribe_url != rendered
    assert unsubscribe_findings(own) == [("info", "The unsubscribe link is present (alerts)")]
    [(severity, message)] = unsubscribe_findings(someone_else)
    assert severity == "error" and "need an unsubscribe link" in message


def unsubscribe_findings(email) -> list[tuple[str, str]]:
    found = check_email(email, spam_score=SKIP).findings()
    return [(f.severity, f.message) for f in found if "unsubscribe link" in f.message]
