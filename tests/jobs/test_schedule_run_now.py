"""Run now never takes the period of the next scheduled run (issue 19.5): it runs the latest
period the schedule has triggered, the next trigger still runs its own, and the schedules
page says when the next run is, what it covers, and which triggers will find their period
already run."""

import datetime as dt

import pytest
import time_machine
from huey.contrib.djhuey import HUEY

from apps.console.services import operator_job_run_now
from apps.jobs.models import PeriodicRun
from apps.jobs.periodic import job_spec
from tests.factories import make_user

UTC = dt.UTC
pytestmark = pytest.mark.django_db
SCHEDULES = "/admin/jobs/periodicrun/schedules/"


def scheduled_run(name: str, trigger: dt.datetime) -> None:
    """The task a consumer's scheduler enqueues when the crontab matches at `trigger`."""
    spec = job_spec(name)
    task = spec.task.s()
    type(task).on_schedule(task, trigger)
    with time_machine.travel(trigger + dt.timedelta(seconds=2), tick=False):
        HUEY.enqueue(task)  # run inline (tests run tasks immediately)


def test_run_now_before_the_trigger_leaves_the_next_scheduled_run_its_period():
    # history_retention runs at 03:30 and covers its own day: at 02:00 today is still ahead.
    operator = make_user(email="ops@example.com", is_staff=True)
    with time_machine.travel(dt.datetime(2026, 11, 25, 2, 0, tzinfo=UTC), tick=False):
        operator_job_run_now(actor=operator, name="history_retention")
    ran = PeriodicRun.objects.get(job="history_retention")
    assert (ran.period_key, ran.status, ran.forced) == ("2026-11-24", "succeeded", True)

    scheduled_run("history_retention", dt.datetime(2026, 11, 25, 3, 30, tzinfo=UTC))
    today = PeriodicRun.objects.get(job="history_retention", period_key="2026-11-25")
    assert (today.status, today.forced, today.requested_by) == ("succeeded", False, "scheduler")


def test_a_monthly_report_run_now_on_the_first_morning_keeps_the_nine_oclock_run():
    # usage_reports: 09:00 on the 1st, covering the previous month.
    spec = job_spec("usage_reports")
    moment = dt.datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert spec.latest_due_period(moment).key == "2026-10"
    assert spec.period_for(spec.next_run(moment)).key == "2026-11"


def test_the_schedules_page_says_when_the_next_run_is_and_which_trigger_will_do_nothing(
    admin_client,
):
    with time_machine.travel(dt.datetime(2026, 11, 25, 2, 0, tzinfo=UTC), tick=False):
        admin_client.post(f"{SCHEDULES}history_retention/run/")
        page = admin_client.get(SCHEDULES).content.decode()
    row = page[page.index('data-job="history_retention"') :]
    row = row[: row.index("</tr>")]
    assert "Wed 25 Nov, 03:30" in row and "Wed 25 Nov 2026" in row  # when, and what it covers
    assert 'data-testid="skipped"' not in row
    assert "Run Tue 24 Nov 2026 now" in row  # what the button does

    # A period someone ran ahead of time (jobs_run --period): its trigger will do nothing.
    PeriodicRun.objects.create(
        job="history_retention",
        period_key="2026-11-25",
        status="succeeded",
        period_start=dt.datetime(2026, 11, 25, tzinfo=UTC),
        period_end=dt.datetime(2026, 11, 26, tzinfo=UTC),
    )
    with time_machine.travel(dt.datetime(2026, 11, 25, 2, 0, tzinfo=UTC), tick=False):
        page = admin_client.get(SCHEDULES).content.decode()
    row = page[page.index('data-job="history_retention"') :]
    row = row[: row.index("</tr>")]
    assert "Wed 25 Nov, 03:30 skipped: Wed 25 Nov 2026 already ran" in row
    assert "Thu 26 Nov, 03:30" in row
