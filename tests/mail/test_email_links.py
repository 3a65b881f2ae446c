"""Every link of every email lands for its recipient (issue 19.3).

Each template in each language is rendered with its sample data, and the emails the flows
really send (welcome, quota alerts, digest, subscription ended) with theirs; each of this site's
links is followed as the recipient follows it, signed out and signed in (apps/mail/qa/links.py):
it must end on a 200 page meant for them, or on the sign-in page that leads there. On 01ea189
the welcome email and the digest sent "Open your dashboard" to /, which ends on the staff
console's login, and the quota alerts sent SITE_URL/pricing/, a 404.
"""

import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.services import customer_signup
from apps.analytics.digest import daily_digests_send
from apps.billing.services import usage_record
from apps.mail.models import OutboundEmail
from apps.mail.qa import landing
from apps.mail.qa.document import parse
from apps.mail.qa.emails import active_versions
from apps.mail.qa.findings import ERROR
from apps.mail.qa.links import check_links, hrefs, own_site
from apps.mail.selectors import template_active_version
from apps.mail.services import preference_set, render_for
from apps.summaries.models import SummarizationRequest
from tests.factories import make_organization, make_plan, make_user
from tests.mail.qa.conftest import SITE, deployed  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db
STAFF_TEMPLATES = {"ops_alert"}


@pytest.fixture
def site(request, settings):
    """A deployed SITE_URL, with the settings that derive from it following it."""
    request.getfixturevalue("deployed")
    settings.UPGRADE_URL = settings.UPGRADE_URL.replace("http://127.0.0.1:8000", SITE)
    return SITE


def audience(key: str) -> str:
    return landing.STAFF if key in STAFF_TEMPLATES else landing.CUSTOMER


def link_errors(html: str, key: str) -> list[str]:
    return [
        f.message
        for f in check_links(parse(html), recipient=audience(key))
        if f.severity == ERROR and f.area == "links"
    ]


def test_every_template_in_every_language_links_to_pages_that_land(templates, site):
    versions = active_versions()
    assert {v.language for v in versions} == {"en", "fr"}
    for version in versions:
        key = version.template.key
        html = render_for(
            version=version, address="ada@example.com", context=version.sample_context
        ).html
        assert link_errors(html, key) == [], (key, version.language)


def own_links(email: OutboundEmail) -> list[str]:
    version = template_active_version(key=email.template_key)
    html = render_for(version=version, address=email.to, context=email.context).html
    return [href for _node, href in hrefs(parse(html)) if own_site(href)]


def assert_lands(href: str, path: str) -> None:
    """Signed in, the customer is on `path` (200, not the console); signed out, they sign in
    first on the customers' login."""
    signed_out, signed_in = landing.visits([href])[href]
    assert (signed_in.status, signed_in.path, signed_in.staff_only) == (200, path, False), href
    assert signed_out.status == 200 and signed_out.path in (path, "/accounts/login/"), href


def test_the_welcome_email_opens_the_customers_account(site, templates):
    customer_signup(email="zoe@example.org", organization_name="Zoe Co", password="x" * 12)
    welcome = OutboundEmail.objects.get(template_key="welcome")
    [dashboard] = [h for h in own_links(welcome) if "/email/" not in h]
    assert_lands(dashboard, "/accounts/")


def test_the_quota_alerts_open_the_plan_page(site, templates):
    organization = make_organization(plan=make_plan(characters=10_000))
    usage_record(organization=organization, characters=8_500)
    usage_record(organization=organization, characters=2_000)
    for key in ("quota_alert_80", "quota_alert_100"):
        alert = OutboundEmail.objects.get(template_key=key)
        [upgrade] = [h for h in own_links(alert) if "/email/" not in h]
        assert_lands(upgrade, "/accounts/plan/")


def test_the_digest_opens_the_customers_account(site, templates):
    member = make_user("digest@example.org")
    organization = make_organization(owner=member)
    preference_set(address=member.email, category="digest", subscribed=True)
    yesterday = timezone.now().date() - dt.timedelta(days=1)
    SummarizationRequest.objects.create(
        organization=organization,
        mode="brief",
        input_characters=120,
        created_at=dt.datetime.combine(yesterday, dt.time(10), tzinfo=dt.UTC),
    )
    daily_digests_send(day=yesterday)
    digest = OutboundEmail.objects.get(template_key="daily_digest")
    [dashboard] = [h for h in own_links(digest) if "/email/" not in h]
    assert_lands(dashboard, "/accounts/")
