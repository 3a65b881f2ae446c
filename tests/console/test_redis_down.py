"""Redis down: staff still log in and read the console; the dashboard says the broker is down.

Production path: gunicorn in a subprocess on the test's PostgreSQL and a private redis-server
(REDIS_URL: huey's broker, the cache, cached_db sessions and the rate limits), really stopped
with SIGKILL. Everything goes through HTTP, as a browser would send it.
"""

import re

import pytest
import requests
from django.contrib import admin
from django.core.cache import caches

from apps.accounts.services import admin_ensure
from tests.conftest import PrivateRedis, subprocess_env, wait_until
from tests.console.admin_walk import changelist_url, page_routes
from tests.web import Gunicorn

EMAIL, PASSWORD = "ops@summasaas.example", "a-long-staff-password-42"


def serve(redis_url: str, log_path) -> Gunicorn:
    """gunicorn serving the project on the given Redis, with its log."""
    env = subprocess_env(REDIS_URL=redis_url, AUTH_RATE_PER_ADDRESS="4/10m")
    server = Gunicorn(log_path, "--threads", "4", "--timeout", "60", env=env)
    server.wait_for("/admin/login/", 200, timeout=30)
    return server


@pytest.fixture
def web(private_redis: PrivateRedis, transactional_db, tmp_path):
    caches["database"].clear()  # a table, not a model: no test flush empties it
    admin_ensure(email=EMAIL, password=PASSWORD)
    server = serve(private_redis.url, tmp_path / "gunicorn.log")
    yield server
    server.stop()


def log_in(web: Gunicorn, password: str = PASSWORD) -> tuple[requests.Session, requests.Response]:
    browser = requests.Session()
    form = browser.get(f"{web.url}/admin/login/?next=/admin/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    response = browser.post(
        f"{web.url}/admin/login/?next=/admin/",
        data={"username": EMAIL, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{web.url}/admin/login/"},
        timeout=10,
    )
    return browser, response


def console_pages() -> list[str]:
    """Every list of the console and every page of its own (schedules, consumers...)."""
    lists = [changelist_url(model) for model in admin.site._registry]
    return sorted({*lists, *(route.url() for route in page_routes())})


def test_staff_log_in_and_read_every_page_while_redis_is_down(web, private_redis):
    before, _ = log_in(web)  # a session made while Redis was up
    private_redis.stop()

    assert before.get(f"{web.url}/admin/", timeout=10, allow_redirects=False).status_code == 200
    browser, response = log_in(web)  # a login while Redis is down
    assert response.status_code == 200 and response.url == f"{web.url}/admin/"
    assert "The broker (Redis) does not answer" in response.text
    lists = {changelist_url(model) for model in admin.site._registry}
    failures = {}
    for page in console_pages():  # each list renders; no page of the console gives a 500
        got = browser.get(f"{web.url}{page}", timeout=30, allow_redirects=False)
        if got.status_code >= 500 or (page in lists and got.status_code != 200):
            failures[page] = got.status_code
    assert failures == {}
    locks = browser.get(f"{web.url}/admin/jobs/periodicrun/locks/", timeout=10).text
    assert "The broker (Redis) does not answer" in locks
    assert "does not answer" in web.log() and "use the database" in web.log()
    assert "Internal Server Error" not in web.log()


def test_rate_limits_keep_counting_while_redis_is_down(web, private_redis):
    private_redis.stop()
    statuses = [log_in(web, password="wrong")[1].status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]  # 4 tries per address, then a plain 429
    private_redis.start()
    # Back: within the retry delay the database still counts (and refuses); then the web
    # process clears what the outage left behind and the right password logs in again.
    response = wait_until(
        lambda: (answer := log_in(web)[1]).status_code == 200 and answer, timeout=20, interval=1
    )
    assert response.url == f"{web.url}/admin/"
    assert "The broker (Redis) does not answer" not in response.text
