"""The console's URLs and list filters, read from the admin site itself.

Tests walk these instead of a hand-kept list, so a new admin, action, custom page or filter is
exercised as soon as it is registered.
"""

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

from django import forms
from django.contrib import admin
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver

PARAMETER = re.compile(r"<(?:\w+:)?\w+>")
# Django's own views of one object: an unknown id there redirects to the index with a message.
DJANGO_OBJECT_VIEWS = re.compile(r"^\w+_\w+_(change|delete|history)$")
# Query parameters the console's own pages read (besides each list's filters).
PAGE_PARAMETERS = ["q", "p", "o", "days", "since", "until", "template", "against", "job"]
# Values a hostile or careless user puts in an id or a filter.
ODD_VALUES = [
    "abc",
    "0",
    "-1",
    "99999999999999999999",
    "\uff11\uff12",
    "\x00",
    "a\x00b",
    "²",
    "1.5",
    "1e309",
    " 1",
    "9999-12-31",
    "0000-00-00",
    "2026-13-45",
    "é",
    "x" * 1000,
    "<script>",
    "../..",
]


# The ones that differ for a query value (each costs a rendered page per list).
ODD_QUERY_VALUES = [
    "\x00",
    "²",
    "\uff11\uff12",
    "-1",
    "99999999999999999999",
    "1e309",
    "9999-12-31",
    "0000-00-00",
    "2026-13-45",
    "abc",
    "x" * 1000,
]
# Ids that name no object (" 1" and fullwidth "12" are read as 1 and 12, as by int()).
# A path ("../..") is no id either: it resolves to another URL.
ODD_IDS = [v for v in ODD_VALUES if v.strip() not in ("\uff11\uff12", "1", "../..")]


@dataclass(frozen=True)
class Route:
    """One URL pattern of the admin site."""

    route: str
    name: str | None

    @property
    def has_parameters(self) -> bool:
        return bool(PARAMETER.search(self.route))

    @property
    def is_django_object_view(self) -> bool:
        return self.name is None or bool(
            DJANGO_OBJECT_VIEWS.match(self.name) and "<path:object_id>/" in self.route
        )

    def accepts(self, value: str) -> bool:
        """Whether the route's converters take the value (else Django never calls the view)."""
        return "<int:" not in self.route or (value.isascii() and value.isdigit())

    def url(self, value: str = "") -> str:
        return PARAMETER.sub(quote(value, safe=""), self.route)


def admin_routes() -> list[Route]:
    """Every path-style URL pattern of the admin site (the regex ones are Django's catch-alls)."""
    return list(_walk(admin.site.get_urls(), "/admin/"))


def _walk(patterns, prefix: str):
    for pattern in patterns:
        route = str(pattern.pattern)
        if route.startswith("^"):
            continue
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + route)
        elif isinstance(pattern, URLPattern):
            yield Route(prefix + route, pattern.name)


def object_routes() -> list[Route]:
    """The custom URLs that name one object (or job) in their path (each once)."""
    routes = [r for r in admin_routes() if r.has_parameters and not r.is_django_object_view]
    return list(dict.fromkeys(routes))


def page_routes() -> list[Route]:
    """Pages without parameters in their path: lists, custom pages, the dashboard."""
    skip = ("logout", "add", "password", "jsi18n", "autocomplete")
    return [
        r
        for r in admin_routes()
        if not r.has_parameters and not any(word in r.url() for word in skip)
    ]


def changelist_url(model) -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/"


def filter_queries(model_admin, user) -> list[dict[str, str]]:
    """One query per choice of every list filter of the model admin, as its page offers them."""
    request = RequestFactory().get(changelist_url(model_admin.model))
    request.user = user
    changelist = model_admin.get_changelist_instance(request)
    queries: list[dict[str, str]] = []
    for spec in changelist.filter_specs:
        for choice in spec.choices(changelist):
            if "query_string" in choice:
                queries.append(dict(parse_qsl(choice["query_string"].lstrip("?"))))
            elif "form" in choice:
                queries.extend(_form_queries(choice["form"]))
    return queries


def _form_queries(form: forms.Form) -> list[dict[str, str]]:
    """unfold's filters are forms: every option of a choice field, a sample value otherwise."""
    queries = []
    for name, field in form.fields.items():
        if isinstance(field, forms.ChoiceField):
            queries += [{name: str(value)} for value, _label in _flat(field.choices)]
        elif isinstance(field, forms.SplitDateTimeField):
            queries.append({f"{name}_0": f"{dt.date.today()}", f"{name}_1": "00:00"})
        elif isinstance(field, forms.DateField):
            queries.append({name: f"{dt.date.today()}"})
        elif isinstance(field, forms.DecimalField | forms.IntegerField | forms.FloatField):
            queries.append({name: "1"})
        else:
            queries.append({name: "a"})
    return queries


def _flat(choices):
    for value, label in choices:
        if isinstance(label, list | tuple):
            yield from _flat(label)
        else:
            yield value, label


def filter_parameters(model_admin, user) -> set[str]:
    """Every query parameter the model admin's list filters read."""
    request = RequestFactory().get(changelist_url(model_admin.model))
    request.user = user
    changelist = model_admin.get_changelist_instance(request)
    return {p for spec in changelist.filter_specs for p in spec.expected_parameters() if p}


def console_rows(actor) -> None:
    """A row or two behind every list, so that filters and actions have something to show."""
    from django.utils import timezone

    from apps.console.services import audit_record
    from apps.jobs.models import PeriodicRun, TaskRun, WorkerHeartbeat
    from apps.mail.models import EmailEvent, Suppression
    from apps.mail.services import send_email
    from tests.conftest import load_shipped_templates
    from tests.factories import make_organization

    now = timezone.now()
    make_organization("Acme")
    TaskRun.objects.create(
        task_id="a1b2c3d4-run",
        name="apps.jobs.tasks.jobs_canary_task",
        state="error",
        consumer="host:1",
        periodic_job="reaper",
    )
    TaskRun.objects.create(
        task_id="e5f6a7b8-run",
        name="apps.jobs.tasks.jobs_canary_task",
        state="complete",
        consumer="host:1",
    )
    for job in ("reaper", "history_retention"):
        PeriodicRun.objects.create(
            job=job, period_key=f"{now:%Y-%m-%dT%H:%M}", period_start=now, period_end=now
        )
    WorkerHeartbeat.objects.create(consumer="host:1", host="host", pid=1)
    audit_record(actor=actor, action="task.retry", note="seeded")
    load_shipped_templates()
    email = send_email(template_key="welcome", to="ada@example.com", context={"name": "Ada"})
    EmailEvent.objects.create(
        email=email,
        esp_name="postmark",
        event_type="bounced",
        recipient=email.to,
        fingerprint="seeded",
    )
    Suppression.objects.create(address="gone@example.com", reason="bounce")
