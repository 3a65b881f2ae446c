"""Task runs written in bulk by one SQL statement, for the jobs console's benchmarks."""

# Five task names; one run in 50 failed, one in 997 still executing; eight consumers, 5,000
# organizations in the arguments. `%s` is the number of runs, one a second back from now.
_INSERT = """
INSERT INTO jobs_taskrun (task_id, name, queue, args, kwargs, state, rank, attempt, enqueued_at,
    started_at, finished_at, duration, error, enqueued_by, consumer, periodic_job,
    period_key, note, retry_of, requested_by, created_at, updated_at)
SELECT md5(i::text), (ARRAY['apps.mail.tasks.email_deliver_task',
        'apps.jobs.tasks.jobs_canary_task',
        'apps.billing.tasks.record_usage_task', 'apps.summaries.tasks.summarize_task',
        'apps.analytics.tasks.rollup_task'])[1 + i %% 5],
    'summasaas', jsonb_build_array(i, 'org-' || (i %% 5000)), '{{}}'::jsonb,
    CASE WHEN i %% 50 = 0 THEN 'error' WHEN i %% 997 = 0 THEN 'executing' ELSE 'complete' END,
    12, 1, t, {started_at}, t + interval '1 second', {duration},
    CASE WHEN i %% 50 = 0 THEN 'RuntimeError(''boom'')' ELSE '' END, 'web:1',
    'host-' || (i %% 8) || ':1', {periodic_job}, {period_key}, '', '', '', t, t
FROM generate_series(1, %s) AS i, LATERAL (SELECT now() - i * interval '1 second' AS t) AS s
"""


def task_runs_insert(
    *,
    started_at: str = "t",
    duration: str = "0.2 + (i %% 7) / 10.0",
    periodic_job: str = "''",
    period_key: str = "''",
) -> str:
    """The INSERT of `%s` task runs; the keyword arguments are SQL expressions of the run's
    number `i` and its enqueue time `t` (the defaults: started at once, no periodic job)."""
    return _INSERT.format(
        started_at=started_at, duration=duration, periodic_job=periodic_job, period_key=period_key
    )
