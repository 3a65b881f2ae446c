"""The console's task list against django-celery-results' admin, on the same number of rows
(1,000,000 each by default, BENCH_LIST_ROWS), same states and spread in time, same admin site:
page 1, the failed filter and a search by task id, alternated, median page times."""

import time

import pytest
from django.db import connection

from tests.bench.harness import alternate, record
from tests.bench.pages import LIST_ROWS, timed
from tests.bench.test_console_lists import INSERT as INSERT_RUNS

OURS = "/admin/jobs/taskrun/"
PEER = "/admin/django_celery_results/taskresult/"
pytestmark = pytest.mark.django_db

# The same rows as the console benchmark's task runs, in django-celery-results' table.
INSERT_RESULTS = """
INSERT INTO django_celery_results_taskresult (task_id, periodic_task_name, task_name, task_args,
    task_kwargs, status, worker, content_type, content_encoding, result, date_created,
    date_started, date_done, traceback, meta)
SELECT md5(i::text), NULL, (ARRAY['apps.mail.tasks.email_deliver_task',
        'apps.jobs.tasks.jobs_canary_task',
        'apps.billing.tasks.record_usage_task', 'apps.summaries.tasks.summarize_task',
        'apps.analytics.tasks.rollup_task'])[1 + i %% 5],
    '[' || i || ', "org-' || (i %% 5000) || '"]', '{}',
    CASE WHEN i %% 50 = 0 THEN 'FAILURE' WHEN i %% 997 = 0 THEN 'STARTED' ELSE 'SUCCESS' END,
    'host-' || (i %% 8) || ':1', 'application/json', 'utf-8',
    CASE WHEN i %% 50 = 0 THEN '{"exc_type": "RuntimeError", "exc_message": ["boom"]}'
         ELSE 'null' END,
    t, t, t + interval '1 second', '', '{"children": []}'
FROM generate_series(1, %s) AS i, LATERAL (SELECT now() - i * interval '1 second' AS t) AS s
"""


@pytest.fixture
def both_tables():
    assert connection.vendor == "postgresql", "the benchmark runs on PostgreSQL"
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(INSERT_RUNS, [LIST_ROWS])
        cursor.execute(INSERT_RESULTS, [LIST_ROWS])
        cursor.execute("ANALYZE jobs_taskrun")
        cursor.execute("ANALYZE django_celery_results_taskresult")
        cursor.execute(
            "SELECT task_id FROM jobs_taskrun ORDER BY id LIMIT 1 OFFSET %s", [LIST_ROWS // 2]
        )
        (task_id,) = cursor.fetchone()
    print(f"\ninserted {LIST_ROWS:,} rows in each table in {time.perf_counter() - started:.1f} s")
    return task_id


def test_task_list_against_django_celery_results_admin(
    admin_client, both_tables, production_rendering
):
    task_id = both_tables
    pages = {
        "list, page 1": ("", ""),
        "failed only": ("state__exact=error", "status__exact=FAILURE"),
        "search by task id": (f"q={task_id}", f"q={task_id}"),
    }
    for label, (ours_query, peer_query) in pages.items():

        def ours(_round, query=ours_query):
            return timed(admin_client, f"{OURS}?{query}", repeat=3, no_count_on=None).ms

        def peer(_round, query=peer_query):
            return timed(admin_client, f"{PEER}?{query}", repeat=3, no_count_on=None).ms

        series = alternate(
            {"ours": ours, "django-celery-results": peer}, label=f"task list, {label}", unit="ms"
        )
        record(
            f"task list at {LIST_ROWS:,} rows, {label}",
            ours=series["ours"],
            peer=series["django-celery-results"],
            peer_name="django-celery-results admin",
            unit="ms",
            better="lower",
        )
