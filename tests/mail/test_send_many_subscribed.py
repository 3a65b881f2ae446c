"""`send_email_many(subscribed_only=True)`: recipients whose preferences turn the template's
category down get no row at all (the daily digest's opt-in), read in one query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.mail.models import EmailPreference, EmailTemplate, OutboundEmail
from apps.mail.services import preference_set, send_email_many

pytestmark = pytest.mark.django_db


def recipients(template_key: str, *addresses: str) -> list[dict]:
    context = EmailTemplate.objects.get(key=template_key).sample_context
    return [{"to": address, "context": context} for address in addresses]


def queued_to(template_key: str) -> set[str]:
    return set(OutboundEmail.objects.filter(template_key=template_key).values_list("to", flat=True))


def test_an_opt_in_category_is_queued_only_for_those_who_said_yes(templates):
    preference_set(address="yes@example.com", category="digest", subscribed=True)
    preference_set(address="changed@example.com", category="digest", subscribed=True)
    preference_set(address="changed@example.com", category="digest", subscribed=False)
    everyone = recipients("daily_digest", "yes@example.com", "changed@example.com", "new@x.com")
    with CaptureQueriesContext(connection) as captured:
        queued = send_email_many(
            template_key="daily_digest", recipients=everyone, subscribed_only=True
        )
    assert queued == 1 and queued_to("daily_digest") == {"yes@example.com"}
    table = EmailPreference._meta.db_table
    assert sum(table in query["sql"] for query in captured.captured_queries) == 1


def test_others_are_left_out_only_once_they_switch_the_category_off(templates):
    preference_set(address="off@example.com", category="reports", subscribed=False)
    owners = recipients("usage_report", "Off@Example.com", "on@example.com")
    queued = send_email_many(template_key="usage_report", recipients=owners, subscribed_only=True)
    assert queued == 1 and queued_to("usage_report") == {"on@example.com"}


def test_without_it_every_recipient_is_queued_and_delivery_decides(templates):
    preference_set(address="off@example.com", category="reports", subscribed=False)
    owners = recipients("usage_report", "off@example.com", "on@example.com")
    assert send_email_many(template_key="usage_report", recipients=owners) == 2
