"""Every admin page the console's models and the admin itself offer, GET as staff over HTTP on
the deployment: each model's list, add form, change form, history and delete confirmation (on
a real row where the model has one) and the admin's generic pages. None may answer 5xx; a list
must render (200). The routes walked are the ones tests/smoke/cases.py gives to this case, so
a new model is walked as soon as it is registered."""

import re
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from .routes import all_routes

pytestmark = pytest.mark.xdist_group("smoke")
MODEL_PAGE = re.compile(r"^admin/(\w+)/(\w+)/")
# Pages that need a query to show something (the rest take none).
QUERIES = {
    "admin:search": "?s=smoke",
    "admin:autocomplete": "?app_label=billing&model_name=invoice&field_name=organization&term=s",
}


def walked_routes() -> list:
    from .cases import WALK, case_for  # the mapping imports this module: read it late

    return [route for route in all_routes() if case_for(route) is WALK]


def url_for(deployment, route) -> str:
    """The route's URL with a real row's id where it names one."""
    match = MODEL_PAGE.match(route.pattern)
    if match and "<path:object_id>" in route.pattern:
        table = f"{match.group(1)}_{match.group(2)}"
        try:
            pk = deployment.value(f'SELECT id FROM "{table}" ORDER BY id LIMIT 1') or 1
        except psycopg.Error:  # a model whose table is named otherwise: an id that is not there
            pk = 1
        return route.url(object_id=str(pk))
    return route.url() + QUERIES.get(route.name, "")


def test_every_admin_page_answers_staff_without_a_server_error(staff, deployment):
    urls = sorted({url_for(deployment, route): route.key for route in walked_routes()}.items())
    assert len(urls) > 80  # every registered model's five pages, at least

    def fetch(item):
        url, key = item
        return url, key, staff.session.get(staff.url(url), timeout=60, allow_redirects=False)

    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = list(pool.map(fetch, urls))
    errors = [f"{key} {url}: {r.status_code}" for url, key, r in answers if r.status_code >= 500]
    assert not errors, "\n".join(errors)
    lists = [(url, r.status_code) for url, key, r in answers if key.endswith("_changelist")]
    assert lists and all(status == 200 for _url, status in lists), lists
