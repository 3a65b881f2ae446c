"""No 500 from the console's URLs: odd or unknown ids give 404, odd query values are ignored.

Routes, filters and their choices are read from the admin site's registry (tests/console/
admin_walk.py), so every admin registered later is covered without touching this file.
"""

from urllib.parse import urlencode

import pytest
from django.contrib import admin

from apps.accounts.models import User
from apps.jobs.models import PeriodicRun, TaskRun
from apps.jobs.periodic import REGISTRY
from tests.console.admin_walk import (
    ODD_IDS,
    ODD_QUERY_VALUES,
    PAGE_PARAMETERS,
    admin_routes,
    changelist_url,
    console_rows,
    filter_parameters,
    filter_queries,
    object_routes,
    page_routes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(admin_user):
    console_rows(admin_user)


@pytest.fixture
def client(admin_client):
    admin_client.raise_request_exception = False  # a 500 is an answer to assert on
    return admin_client


def test_every_custom_object_url_answers_404_for_odd_and_unknown_ids(client, rows):
    routes = object_routes()
    assert any("retry" in r.route for r in routes) and any("schedules" in r.route for r in routes)
    wrong = [
        (method, route.route, repr(value[:12]), status)
        for route in routes
        for value in ODD_IDS
        for method in ("get", "post")
        # Django's catch-all redirects what an <int:...> route refuses to the change view; a
        # read-only page refuses a POST whatever the id (405).
        if (status := getattr(client, method)(route.url(value)).status_code)
        not in ((404,) if route.accepts(value) else (302, 404))
        + ((405,) if method == "post" else ())
    ]
    assert not wrong


def test_djangos_own_object_views_answer_odd_ids_without_a_500(client, rows):
    routes = [r for r in admin_routes() if r.is_django_object_view and r.name]
    statuses = {
        (route.route, repr(value)): client.get(route.url(value)).status_code
        for route in routes
        for value in ("abc", "\x00", "99999999999999999999")
    }
    assert {k: v for k, v in statuses.items() if v >= 500} == {}


def test_every_list_filter_of_every_admin_answers_every_choice_it_offers(client, rows):
    user = User.objects.get(is_superuser=True)
    tried = 0
    for model, model_admin in admin.site._registry.items():
        url = changelist_url(model)
        for query in filter_queries(model_admin, user):
            response = client.get(f"{url}?{urlencode(query)}")
            assert response.status_code == 200, (url, query, response.status_code)
            tried += 1
    assert tried > 100, tried


def test_odd_filter_and_page_values_are_ignored_never_a_500(client, rows):
    user = User.objects.get(is_superuser=True)
    pages = {changelist_url(m): filter_parameters(a, user) for m, a in admin.site._registry.items()}
    pages |= {route.url(): set() for route in page_routes()}
    failed = [
        (url, repr(value[:12]), status)
        for url, parameters in pages.items()
        for value in ODD_QUERY_VALUES
        if (
            status := client.get(
                f"{url}?{urlencode(dict.fromkeys([*parameters, *PAGE_PARAMETERS], value))}"
            ).status_code
        )
        >= 500
    ]
    assert not failed


def test_the_periodic_runs_list_filters_by_each_declared_job(client, rows):
    for job in REGISTRY:
        response = client.get(f"/admin/jobs/periodicrun/?job={job}")
        assert response.status_code == 200
        shown = response.content.decode()
        runs = PeriodicRun.objects.filter(job=job)
        assert all(f"/periodicrun/{run.pk}/change/" in shown for run in runs), job
        others = PeriodicRun.objects.exclude(job=job)
        assert not any(f"/periodicrun/{run.pk}/change/" in shown for run in others), job


def test_a_nul_in_a_filter_is_dropped_and_the_list_still_shows(client, rows):
    response = client.get("/admin/jobs/taskrun/?job=%00&state__exact=err%00or&q=a1b2c3%00")
    assert response.status_code == 200
    assert "a1b2c3d4" in response.content.decode()  # filters read "", "error" and "a1b2"


def test_an_unknown_job_is_404_for_an_operator_and_403_for_a_viewer(client, viewer_client):
    viewer_client.raise_request_exception = False
    assert client.post("/admin/jobs/periodicrun/schedules/nope/run/").status_code == 404
    assert viewer_client.post("/admin/jobs/periodicrun/schedules/nope/run/").status_code == 403
    assert viewer_client.post("/admin/jobs/periodicrun/schedules/reaper/run/").status_code == 403
    assert client.get("/admin/jobs/periodicrun/schedules/reaper/run/").status_code == 405


def test_a_known_run_still_opens_its_retry_confirmation(client, rows):
    run = TaskRun.objects.get(task_id="a1b2c3d4-run")
    assert client.get(f"/admin/jobs/taskrun/{run.pk}/retry/").status_code == 200
    assert client.get(f"/admin/jobs/taskrun/{run.pk + 1000}/retry/").status_code == 404


def test_view_on_site_answers_every_content_type_without_a_500(client, rows):
    from django.contrib.contenttypes.models import ContentType

    statuses = {
        ct.model: client.get(f"/admin/r/{ct.pk}/1/").status_code for ct in ContentType.objects.all()
    }
    assert {model: status for model, status in statuses.items() if status >= 500} == {}
