"""Every operator action has a command (tasks, emails, suppressions), audited with the OS user."""

import getpass
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.console.models import AuditEntry
from apps.jobs.models import PeriodicJobState, TaskRun
from apps.mail.models import OutboundEmail, Suppression
from tests.console.flaky import fix, flaky_task

pytestmark = pytest.mark.django_db
ME = getpass.getuser()


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def audited(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("pk"))


@pytest.fixture
def failed_runs(django_capture_on_commit_callbacks):
    for token in ("c1", "c2", "other"):
        flaky_task(token)
        fix(token)
    return TaskRun.objects.filter(state="error")


def test_retry_with_the_consoles_filters_lists_first_then_retries_once(
    failed_runs, django_capture_on_commit_callbacks
):
    listed = run("jobs_retry", "--state", "error", "--search", "c")
    assert "2 finished runs match; add --yes" in listed and not audited("task.retry")
    with django_capture_on_commit_callbacks(execute=True):
        done = run(
            "jobs_retry", "--state", "error", "--search", "c", "--yes", "--by", "ops@example.com"
        )
    assert "2 runs enqueued again" in done
    copies = TaskRun.objects.filter(retry_of__in=failed_runs.values("task_id"))
    assert sorted(copies.values_list("state", flat=True)) == ["complete", "complete"]
    entries = audited("task.retry")
    assert [(e.os_user, e.actor_email) for e in entries] == [(ME, "ops@example.com")] * 2
    assert "0 runs enqueued again (2 already retried)" in run(
        "jobs_retry", "--state", "error", "--search", "c", "--yes"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "at least one filter"),
        (("--since", "yesterday"), "not an ISO date-time"),
        (("--state", "error", "--limit", "1"), "More than 1 runs match"),
    ],
)
def test_retry_refuses_what_it_cannot_do(failed_runs, args, message):
    with pytest.raises(CommandError, match=message):
        run("jobs_retry", *args)


def test_revoke_is_audited_and_unknown_ids_are_refused():
    queued = TaskRun.objects.create(task_id="q-1", name="x.y", state="enqueued")
    assert "revoked q-1: it will not run" in run("jobs_revoke", "q-1")
    [entry] = audited("task.revoke")
    assert (entry.os_user, entry.target_id) == (ME, str(queued.pk))
    assert TaskRun.objects.get(task_id="q-1").state == "revoked"
    with pytest.raises(CommandError, match="q-1 is revoked: only a waiting task"):
        run("jobs_revoke", "q-1")  # once: no second audit entry
    assert len(audited("task.revoke")) == 1
    with pytest.raises(CommandError, match="No task run nope"):
        run("jobs_revoke", "nope")


def test_pausing_a_job_from_the_command_line_is_audited():
    run("jobs_pause", "analytics_hourly")
    assert PeriodicJobState.objects.get(job="analytics_hourly").paused
    run("jobs_pause", "analytics_hourly", "--resume")
    assert [e.action for e in AuditEntry.objects.filter(os_user=ME)] == ["job.resume", "job.pause"]


def test_email_retry_resend_and_mark_sent_are_audited(django_capture_on_commit_callbacks):
    failed = OutboundEmail.objects.create(
        template_key="welcome", to="a@example.com", status="failed"
    )
    unknown = OutboundEmail.objects.create(
        template_key="welcome", to="b@example.com", status="unknown"
    )
    assert f"#{failed.pk}: queued" in run("emails_retry", str(failed.pk))
    assert "resent as #" in run("emails_resend", str(unknown.pk))
    assert "marked sent" in run("emails_mark_sent", str(unknown.pk))
    assert "left sent" in run("emails_mark_sent", str(unknown.pk))  # only unknown ones
    actions = [e.action for e in AuditEntry.objects.filter(os_user=ME).order_by("pk")]
    assert actions == ["email.retry", "email.resend", "email.mark_sent"]
    for bad, message in (("x1", "outbox's numbers"), ("999999", "No email 999999")):
        with pytest.raises(CommandError, match=message):
            run("emails_retry", bad)


def test_suppressions_are_listed_added_and_removed_with_an_audit():
    assert "spam@example.com suppressed" in run(
        "suppressions", "add", "Spam@Example.com", "--note", "asked by phone"
    )
    assert "spam@example.com" in run("suppressions", "list", "--search", "spam")
    assert "may be emailed again" in run("suppressions", "remove", "spam@example.com")
    assert not Suppression.objects.exists()
    actions = [(e.action, e.os_user) for e in AuditEntry.objects.order_by("pk")]
    assert actions == [("suppression.add", ME), ("suppression.remove", ME)]
    for args, message in (
        (("add", "not-an-address"), "not an email address"),
        (("remove", "nobody@example.com"), "is not suppressed"),
    ):
        with pytest.raises(CommandError, match=message):
            run("suppressions", *args)
