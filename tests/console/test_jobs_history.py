"""The task history list: filters, search, detail, and a bounded, COUNT-free page."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.jobs.models import TaskRun, WorkerHeartbeat
from tests.console.flaky import fix, flaky_task

pytestmark = pytest.mark.django_db
LIST = "/admin/jobs/taskrun/"


def make_runs(n: int, **fields) -> list[TaskRun]:
    now = timezone.now()
    runs = [
        TaskRun(
            task_id=f"{i:08x}-run-{fields.get('state', 'complete')}-{n}",
            name=fields.get("name", "apps.jobs.tasks.jobs_canary_task"),
            queue=fields.get("queue", "summasaas"),
            state=fields.get("state", "complete"),
            consumer=fields.get("consumer", "host-a:1"),
            args=fields.get("args", [i]),
            kwargs=fields.get("kwargs", {}),
            created_at=now - dt.timedelta(minutes=i),
        )
        for i in range(n)
    ]
    return TaskRun.objects.bulk_create(runs)


def shown(response) -> int:
    return response.content.decode().count('<tr class="group')


def page_queries(client, url: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), [q["sql"] for q in queries.captured_queries]


def test_a_page_costs_the_same_few_queries_for_5_or_60_rows_and_never_counts(admin_client):
    make_runs(5)
    small, _ = page_queries(admin_client, LIST)
    make_runs(55, state="error", consumer="host-b:2")
    big, sqls = page_queries(admin_client, LIST)
    assert big == small <= 12
    assert not [sql for sql in sqls if "COUNT(" in sql.upper() and "jobs_taskrun" in sql]
    filtered, _ = page_queries(
        admin_client, f"{LIST}?state__exact=error&consumer=host-b:2&task=x&queue=summasaas"
    )
    assert filtered == small


def test_a_page_shows_50_rows_and_a_next_link_without_a_total(admin_client):
    make_runs(60)
    response = admin_client.get(LIST)
    body = response.content.decode()
    assert body.count("Jobs canary") >= 50
    assert "?p=2" in body and "60" not in response.context["cl"].result_count.__str__()


def test_filters_narrow_by_state_task_queue_consumer_and_date(admin_client):
    make_runs(3, state="error", consumer="host-b:2")
    make_runs(2, name="apps.mail.tasks.email_deliver_task", queue="other")
    cl = lambda q: admin_client.get(f"{LIST}?{q}").context["cl"]  # noqa: E731
    assert len(cl("state__exact=error").result_list) == 3
    assert len(cl("consumer=host-b:2").result_list) == 3
    assert len(cl("task=apps.mail.tasks.email_deliver_task").result_list) == 2
    assert len(cl("queue=other").result_list) == 2
    since = timezone.now() - dt.timedelta(seconds=90)
    window = f"created_at_from_0={since:%Y-%m-%d}&created_at_from_1={since:%H:%M:%S}"
    assert len(cl(window).result_list) == 4  # the two newest of each batch


@pytest.mark.embedded
def test_search_finds_a_task_by_id_prefix_or_by_text_in_its_arguments(admin_client):
    make_runs(3)
    flaky_task("needle-42", api_key="k")
    run = TaskRun.objects.get(name__endswith="flaky_task")
    by_id = admin_client.get(f"{LIST}?q={run.task_id[:8]}").context["cl"].result_list
    assert [r.pk for r in by_id] == [run.pk]
    by_args = admin_client.get(f"{LIST}?q=NEEDLE-42").context["cl"].result_list
    assert [r.pk for r in by_args] == [run.pk]
    assert not admin_client.get(f"{LIST}?q=nothing-like-it").context["cl"].result_list


def test_the_detail_shows_the_traceback_redacted_arguments_and_the_timeline(
    admin_client, django_capture_on_commit_callbacks
):
    flaky_task("detail", api_key="top-secret")
    failed = TaskRun.objects.get()
    fix("detail")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"{LIST}{failed.pk}/retry-run/")
    body = admin_client.get(f"{LIST}{failed.pk}/change/").content.decode()
    assert "RuntimeError: flaky detail is not fixed yet" in body  # the traceback
    assert "top-secret" not in body and "***" in body
    assert "first run" in body and "retry by" in body
    assert "Complete" in body and "Error" in body


def test_the_consumers_page_shows_alive_dead_and_what_each_runs(admin_client, settings):
    now = timezone.now()
    WorkerHeartbeat.objects.create(consumer="live:1", host="live", pid=1, workers=4, last_seen=now)
    WorkerHeartbeat.objects.create(
        consumer="gone:2", host="gone", pid=2, last_seen=now - dt.timedelta(minutes=10)
    )
    make_runs(1, state="executing", consumer="live:1")
    body = admin_client.get("/admin/jobs/workerheartbeat/").content.decode()
    assert 'data-consumer="live:1" data-status="alive"' in body
    assert 'data-consumer="gone:2" data-status="dead"' in body
    assert "Jobs canary" in body and "idle" in body
    assert "Pause live updates" in body  # the page refreshes itself
