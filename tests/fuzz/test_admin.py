"""Hostile input to the console: generated ids on every custom URL, generated queries on every
list and page, generated admin actions, as a superuser and as a Viewer.

Never a 500; a Viewer changes nothing (no INSERT, UPDATE or DELETE reaches the database but
their own session and display settings) and
is refused (403) by every URL that would change something. URLs, lists, filters and actions are
read from the admin site's registry (tests/console/admin_walk.py): new ones are fuzzed too.

Targets (examples each: the profile's FUZZ_EXAMPLES for ids, a quarter of it for whole pages):
every object route x 2 roles, every list x 2 roles (queries; the Viewer also posts actions),
every custom page x 2 roles. TARGETS below records each target and its examples as it runs.
"""

import re
from collections import Counter
from urllib.parse import quote, urlencode

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from apps.console.roles import VIEWER
from apps.jobs.models import PeriodicRun, TaskRun
from apps.jobs.periodic import REGISTRY
from apps.mail.models import EmailLayout, EmailTemplate, EmailTemplateVersion, OutboundEmail
from tests.console.admin_walk import (
    ODD_VALUES,
    PAGE_PARAMETERS,
    PARAMETER,
    changelist_url,
    console_rows,
    filter_parameters,
    object_routes,
    page_routes,
)
from tests.console.conftest import staff_client
from tests.strategies import hostile_text

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

EXAMPLES = hypothesis_settings.default.max_examples
PAGE_EXAMPLES = max(5, EXAMPLES // 4)  # a whole rendered list costs ten times an id's 404
TARGETS: Counter = Counter()  # target -> examples run (printed by the last test)
CHANGING = re.compile(
    r"retry|revoke|_run$|pause|clear|resend|test_send|restore|mark_paid|"
    r"password_change"
)
WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)

hostile = st.one_of(
    hostile_text(max_size=80),
    st.sampled_from(ODD_VALUES),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.dates().map(str),
)
form_keys = st.sampled_from(
    [
        "to",
        "context",
        "paused",
        "confirm",
        "mjml",
        "subject",
        "layout",
        "preview_template",
        "variables",
        "sample_context",
    ]
)


@pytest.fixture
def clients(admin_user) -> dict[str, Client]:
    console_rows(admin_user)
    superuser = Client(raise_request_exception=False)
    superuser.force_login(admin_user)
    viewer = staff_client(VIEWER)
    viewer.raise_request_exception = False
    return {"superuser": superuser, "viewer": viewer}


def known_ids() -> list[str]:
    """Ids and names that exist, so generated requests also reach real objects."""
    ids = [
        str(pk)
        for model in (
            TaskRun,
            PeriodicRun,
            OutboundEmail,
            EmailTemplate,
            EmailTemplateVersion,
            EmailLayout,
        )
        for pk in model.objects.values_list("pk", flat=True)[:3]
    ]
    return ids + sorted(REGISTRY)


def wire(text: str) -> str:
    """`text` percent-encoded as a client sends it: a lone surrogate, which UTF-8 cannot hold,
    goes as the bytes a careless encoder writes for it (Django reads them as U+FFFD)."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def object_url(route, value: str) -> str:
    return PARAMETER.sub(wire(value), route.route)


def request(client: Client, method: str, url: str, data=None):
    """The response and the SQL statements that wrote something (`data` as a query string or a
    form body, encoded as on the wire)."""
    encoded = urlencode(data or {}, doseq=True, encoding="utf-8", errors="surrogatepass")
    with CaptureQueriesContext(connection) as queries:
        if method == "get":
            response = client.get(f"{url}?{encoded}" if encoded else url)
        else:
            response = getattr(client, method)(
                url, encoded, content_type="application/x-www-form-urlencoded"
            )
    writes = [q["sql"] for q in queries.captured_queries if WRITE.match(q["sql"])]
    # The session, and a staff member's own display settings (their time zone, issue 19.11),
    # are theirs to write whatever their role: not a change to what the console operates.
    own = ("django_session", "console_staffsettings")
    return response, [sql for sql in writes if not any(table in sql for table in own)]


def checked(role: str, response, writes: list[str], *, changing: bool = False) -> None:
    assert response.status_code < 500, response.content[:300]
    if role == "viewer":
        assert writes == [], writes
        if changing:
            assert response.status_code == 403


def fuzz(target: str, examples: int, *strategies):
    """Run the decorated check as a Hypothesis test of its own, counted under `target`."""

    def decorate(check):
        @hypothesis_settings(max_examples=examples, suppress_health_check=list(HealthCheck))
        @given(st.tuples(*strategies))
        def run(values):
            TARGETS[target] += 1
            check(*values)

        return run

    return decorate


@pytest.mark.parametrize("role", ["superuser", "viewer"])
def test_every_custom_object_url_answers_generated_ids_without_a_500(clients, role):
    existing = known_ids()
    for route in object_routes():
        fuzz_object_route(clients[role], role, route, existing)


def fuzz_object_route(client: Client, role: str, route, existing: list[str]) -> None:
    @fuzz(
        f"{role} {route.name}",
        EXAMPLES,
        st.one_of(hostile, st.sampled_from(existing)),
        st.sampled_from(["get", "post"]),
        st.dictionaries(form_keys, hostile, max_size=4),
    )
    def attempt(value, method, data):
        response, writes = request(client, method, object_url(route, value), data)
        checked(role, response, writes)

    attempt()
    if role == "viewer" and CHANGING.search(route.name):  # real objects: refused, any method
        for value in existing:
            for method in ("get", "post"):
                response, writes = request(client, method, object_url(route, value))
                if response.status_code != 404:  # 404: the id is another model's
                    checked(role, response, writes, changing=True)


def lists() -> list:
    return list(admin.site._registry.items())


@pytest.mark.parametrize("role", ["superuser", "viewer"])
def test_every_list_answers_generated_filters_and_queries_without_a_500(clients, role, admin_user):
    for model, model_admin in lists():
        names = sorted(filter_parameters(model_admin, admin_user)) + PAGE_PARAMETERS
        fuzz_list_query(clients[role], role, changelist_url(model), names)


def fuzz_list_query(client: Client, role: str, url: str, names: list[str]) -> None:
    keys = st.one_of(st.sampled_from(names), hostile_text(min_size=1, max_size=20))

    @fuzz(f"{role} {url} query", PAGE_EXAMPLES, st.dictionaries(keys, hostile, max_size=5))
    def attempt(query):
        response, writes = request(client, "get", url, query)
        checked(role, response, writes)

    attempt()


def test_a_viewer_posting_any_admin_action_on_any_list_changes_nothing(clients, admin_user):
    for model, model_admin in lists():
        actions = sorted(model_admin.get_actions(_request(admin_user))) or ["delete_selected"]
        ids = [str(pk) for pk in model.objects.values_list("pk", flat=True)[:5]] or ["1"]
        fuzz_list_actions(clients["viewer"], changelist_url(model), actions, ids)


def fuzz_list_actions(client: Client, url: str, actions: list[str], ids: list[str]) -> None:
    @fuzz(
        f"viewer {url} actions",
        PAGE_EXAMPLES,
        st.one_of(st.sampled_from(actions), hostile_text(max_size=20)),
        st.lists(st.one_of(st.sampled_from(ids), hostile), max_size=4),
        st.sampled_from(["0", "1", "", "x"]),
    )
    def attempt(action, selected, across):
        data = {
            "action": action,
            "_selected_action": selected,
            "select_across": across,
            "index": "0",
            "post": "yes",
        }
        response, writes = request(client, "post", url, data)
        checked("viewer", response, writes)

    attempt()


@pytest.mark.parametrize("role", ["superuser", "viewer"])
def test_every_custom_page_answers_generated_queries_without_a_500(clients, role):
    lists_urls = {changelist_url(model) for model, _ in lists()}
    for page in page_routes():
        if page.url() not in lists_urls and page.name != "login":
            fuzz_page(clients[role], role, page)


def fuzz_page(client: Client, role: str, page) -> None:
    keys = st.one_of(st.sampled_from(PAGE_PARAMETERS), hostile_text(min_size=1, max_size=20))
    changing = role == "viewer" and bool(CHANGING.search(page.name))

    @fuzz(
        f"{role} {page.url()}",
        PAGE_EXAMPLES,
        st.sampled_from(["get", "post"]),
        st.dictionaries(keys, hostile, max_size=5),
    )
    def attempt(method, query):
        url = page.url()
        if method == "post" and query:  # the query string too, as the list's form sends it
            url += "?" + "&".join(f"{wire(k)}={wire(v)}" for k, v in query.items())
        response, writes = request(client, method, url, query)
        checked(role, response, writes, changing=changing)

    attempt()


def test_zz_report_targets_and_examples():
    """Printed with -s (and kept in the notes): each target and the examples it ran."""
    for target, examples in sorted(TARGETS.items()):
        print(f"fuzz target {target}: {examples} examples, 0 answers >= 500")
    assert not TARGETS or min(TARGETS.values()) >= 1


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request
