"""The send log: a bounded number of queries per page, no COUNT(*), exact search, a timeline."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.mail.models import DeliveryAttempt, EmailEvent, EmailTemplate, OutboundEmail
from tests.console.studio_support import shipped  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped")]


def fill(count: int) -> None:
    version = EmailTemplate.objects.get(key="welcome").active_version
    OutboundEmail.objects.bulk_create(
        OutboundEmail(
            template_key="welcome",
            to=f"user{n}@example.com",
            status="sent",
            version=version,
            category="transactional",
            message_id=f"<m{n}@x>",
        )
        for n in range(count)
    )


def list_queries(client, query: str = "") -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/admin/mail/outboundemail/{query}")
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?status__exact=sent",
        "?template_key=welcome&category__exact=transactional",
        "?q=user3@example.com",
        "?created_at_from_0=2020-01-01&created_at_from_1=00:00&is_test=0",
    ],
)
def test_the_outbox_list_runs_a_bounded_number_of_queries_and_no_count(admin_client, query):
    fill(5)
    admin_client.get("/admin/mail/outboundemail/")  # warm the session and permission caches
    few = list_queries(admin_client, query)
    fill(120)
    many = list_queries(admin_client, query)
    assert len(many) == len(few) <= 12, many
    assert not [sql for sql in many if "COUNT(" in sql.upper()], many


def test_search_finds_a_recipient_or_a_message_id_exactly(admin_client):
    fill(30)
    page = admin_client.get("/admin/mail/outboundemail/?q=USER7@example.com").content.decode()
    assert "user7@example.com" in page and "user17@example.com" not in page
    page = admin_client.get("/admin/mail/outboundemail/?q=<m12@x>").content.decode()
    assert "user12@example.com" in page and "user1@example.com<" not in page


def test_the_detail_shows_the_sandboxed_email_and_its_event_timeline(admin_client):
    fill(1)
    email = OutboundEmail.objects.get()
    DeliveryAttempt.objects.create(
        email=email, number=1, outcome="sent", started_at=email.created_at
    )
    for kind in ("delivered", "opened", "clicked"):
        EmailEvent.objects.create(
            email=email,
            esp_name="test",
            event_type=kind,
            fingerprint=f"f-{kind}",
            click_url="https://example.com/x" if kind == "clicked" else "",
        )
    page = admin_client.get(f"/admin/mail/outboundemail/{email.pk}/change/").content.decode()
    assert '<iframe sandbox=""' in page and "Welcome aboard" in page
    assert page.index("Attempt 1: Sent") < page.index("Delivered") < page.index("Clicked")
    assert "https://example.com/x" in page
    assert "Content-Security-Policy" in page
