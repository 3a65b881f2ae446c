"""The demo leads somewhere (issue 19.6): customers reachable, an unknown email to settle,
subjects and contents of their own organization, and no staff edits nobody made.

On 01ea189 every seeded customer but one was suppressed (the demo login too), so every Resend
ended SUPPRESSED; no email was unknown; seeded subjects read "{{ organization_name }}
yesterday: ..." with the sample's organization; and a fresh `make run`, run again, said
"kept staff edits" for the demo's own history edits.
"""

import re

import pytest
from django.core.management import call_command

from apps.accounts.models import User
from apps.demo.management.commands.seed_demo import DEMO_CUSTOMER
from apps.mail.models import OutboundEmail, Suppression

# The world `make run` seeds (`seed_demo`), once for this module (tests/demo/conftest.py).
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.embedded,
    pytest.mark.xdist_group("demo-leads"),
    pytest.mark.usefixtures("demo_world"),
]


def test_no_customer_of_the_demo_is_suppressed_and_bounces_still_show():
    customers = set(User.objects.filter(memberships__isnull=False).values_list("email", flat=True))
    assert DEMO_CUSTOMER in customers
    suppressed = set(Suppression.objects.values_list("address", flat=True))
    assert suppressed and not suppressed & customers
    assert OutboundEmail.objects.filter(events__event_type="bounced").exists()


def test_there_is_an_unknown_email_to_settle():
    unknown = OutboundEmail.objects.get(status="unknown")
    assert unknown.to not in set(Suppression.objects.values_list("address", flat=True))
    assert unknown.attempt_log.get().outcome == "unknown"


def test_seeded_emails_show_their_rendered_subject_and_their_own_organization():
    assert not OutboundEmail.objects.filter(subject__contains="{{").exists()
    digest = OutboundEmail.objects.filter(template_key="daily_digest", user__isnull=False).first()
    organization = digest.user.memberships.get().organization.name
    assert digest.context["organization_name"] == organization
    assert re.fullmatch(rf"{re.escape(organization)} yesterday: \S+ summaries", digest.subject)


def test_syncing_the_templates_after_the_demo_reports_no_staff_edits(capsys):
    call_command("sync_email_templates")
    output = capsys.readouterr().out
    assert "kept staff edits" not in output, output


def test_one_periodic_job_failed_its_last_period_for_an_operator_to_fix():
    from apps.jobs.selectors import schedules_with_problems

    problems = {job.name: job.problem for job in schedules_with_problems()}
    assert problems == {"analytics_daily": "failed"}, problems
