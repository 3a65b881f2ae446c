"""The search in arguments (issue 19.8): every history row gets its search text from the
database trigger whoever writes it, the search finds any case through it, rare and common
terms alike, a short term looks among the newest runs and says so, and pruning takes the
search rows with the runs."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.jobs import selectors
from apps.jobs.models import TaskRun, TaskRunSearch
from apps.jobs.selectors import task_runs_search
from apps.jobs.services import task_runs_prune
from apps.jobs.tasks import jobs_canary_task

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]
LIST = "/admin/jobs/taskrun/"


def runs(*arguments, ago=dt.timedelta(0)) -> list[TaskRun]:
    now = timezone.now()
    return TaskRun.objects.bulk_create(
        TaskRun(
            task_id=f"t-{n}-{ago.days}",
            name="apps.x.tasks.sync_task",
            args=args,
            kwargs=kwargs,
            created_at=now - ago - dt.timedelta(seconds=n),
        )
        for n, (args, kwargs) in enumerate(arguments)
    )


def found(term: str) -> list[str]:
    return list(
        task_runs_search(TaskRun.objects.order_by("-created_at"), term=term).values_list(
            "task_id", flat=True
        )
    )


def test_every_written_run_is_searchable_whoever_wrote_it():
    jobs_canary_task(token="Org-4242")  # through huey and the history recorder
    runs(([7, "org-4242"], {}))  # through the ORM
    texts = set(TaskRunSearch.objects.values_list("arguments", flat=True))
    assert any("token" in text and "org-4242" in text for text in texts)  # in lower case
    assert len(texts) == TaskRun.objects.count() == 2


def test_the_search_finds_any_case_in_args_and_kwargs_newest_first():
    runs(([1, "ORG-4242"], {}), ([2], {"customer": "Org-4242"}), ([3, "org-4243"], {}))
    assert found("org-4242") == ["t-0-0", "t-1-0"]
    assert found("ORG-4242") == ["t-0-0", "t-1-0"]
    assert found("nothing like it") == []
    assert found("100%") == []  # LIKE's wildcards are plain characters here


def test_a_common_term_finds_the_newest_matches_too(monkeypatch):
    monkeypatch.setattr(selectors, "SEARCH_IDS", 2)  # more matches than the id fetch keeps
    runs(*[([n, "shared"], {}) for n in range(5)])
    assert found("shared") == [f"t-{n}-0" for n in range(5)]


def test_a_short_term_looks_among_the_newest_runs_and_the_page_says_so(monkeypatch, admin_client):
    monkeypatch.setattr(selectors, "SHORT_TERM_RUNS", 2)
    runs(([9], {}), ([10], {}))
    runs(([9], {}), ago=dt.timedelta(days=3))  # older than the newest two
    assert found("9") == ["t-0-0"]
    page = admin_client.get(f"{LIST}?q=9").content.decode()
    assert "Searched the newest 2 runs for “9”: type 3 characters or more" in page


def test_pruning_the_history_takes_its_search_rows_with_it():
    old = runs(([1, "old"], {}), ago=dt.timedelta(days=400))
    TaskRun.objects.filter(pk=old[0].pk).update(state="complete")
    runs(([2, "new"], {}))
    assert task_runs_prune(older_than_days=30) == 1
    [kept] = TaskRunSearch.objects.values_list("arguments", flat=True)
    assert '"new"' in kept and '"old"' not in kept
