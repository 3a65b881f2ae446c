"""Hostile input to the operator commands and to the reaper.

Targets (FUZZ_EXAMPLES each): jobs_retry's filters, jobs_revoke's ids, the email commands'
ids, suppressions' addresses, and garbage in a dead consumer's in-flight register. Each ends in
a clear CommandError or does its job; nothing else escapes, nothing is half-stored, and a
listing (no --yes) changes nothing.
"""

import contextlib
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from hypothesis import given
from hypothesis import strategies as st

from apps.console.models import AuditEntry
from apps.jobs.adapter import inflight_consumers
from apps.jobs.models import TaskRun, WorkerHeartbeat
from apps.jobs.reaper import task_runs_reap
from apps.mail.models import Suppression
from tests.strategies import hostile_text

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]
ODD = [
    "",
    " ",
    "\x00",
    "\ud800",
    "x\udfff@example.com",
    "a" * 5000,
    "%",
    "'; DROP TABLE x; --",
    "\u202e",
    "--yes",
    "0",
    "-1",
]
hostile = st.one_of(hostile_text(max_size=200), st.sampled_from(ODD))


def command(*args) -> None:
    with contextlib.suppress(CommandError):
        call_command(*args, stdout=io.StringIO())


@given(
    field=st.sampled_from(
        ["state", "task", "job", "queue", "consumer", "since", "until", "search"]
    ),
    value=hostile,
)
def test_retry_filters_never_crash_and_a_listing_changes_nothing(field, value):
    command("jobs_retry", f"--{field}", value)
    assert not TaskRun.objects.exists() and not AuditEntry.objects.exists()


@given(ids=st.lists(hostile, min_size=1, max_size=3))
def test_ids_that_are_not_there_are_refused(ids):
    for name in ("jobs_retry", "jobs_revoke", "emails_retry", "emails_resend", "emails_mark_sent"):
        with pytest.raises(CommandError):
            call_command(name, *ids)
    assert not AuditEntry.objects.exists()


@given(address=hostile)
def test_a_suppression_is_an_address_or_nothing_is_stored(address):
    command("suppressions", "add", address)
    stored = list(Suppression.objects.values_list("address", flat=True))
    assert stored in ([], [address.strip().lower()])
    assert AuditEntry.objects.count() == len(stored)
    Suppression.objects.all().delete()
    AuditEntry.objects.all().delete()


@given(garbage=st.lists(st.binary(max_size=300), min_size=1, max_size=5))
def test_garbage_in_a_dead_consumers_register_is_dropped_not_fatal(garbage):
    HUEY.flush()
    WorkerHeartbeat.objects.update_or_create(
        consumer="gone:1:ff",
        defaults={"host": "gone", "pid": 1, "last_seen": timezone.now() - dt.timedelta(hours=1)},
    )
    for data in garbage:
        HUEY.storage.enqueue(data)
        HUEY.storage.take("gone:1:ff")
    result = task_runs_reap()
    assert result.lost == len(garbage) and "gone:1:ff" not in inflight_consumers()
    assert HUEY.storage.queue_size() == 0  # nothing unreadable is enqueued again
