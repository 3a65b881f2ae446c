"""Text that cannot be stored (NUL, lone surrogates) in the studio and test sends: a form
error naming the field, never a 500, nothing stored.

A browser cannot post a lone surrogate as a form value (Django decodes such bytes to U+FFFD),
but JSON can carry one as an escape (`"\\ud800"`), and NUL arrives both ways. Requests go
through `Client(enforce_csrf_checks=True)` with the CSRF token a browser would send.
"""

import json
import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client

from apps.accounts.models import User
from apps.console.roles import SENDER, TEMPLATE_EDITOR, VIEWER
from apps.mail.exceptions import ContextError
from apps.mail.models import EmailTemplate, EmailTemplateVersion, OutboundEmail
from apps.mail.services import send_email, send_email_many
from tests.console.studio_support import editor_data, shipped  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped")]

POISONED_SAMPLES = [
    ('{"name": "Ada\\ud800", "dashboard_url": "x"}', "sample_context.name"),
    ('{"name": "Ada", "dashboard_url": "x\\u0000"}', "sample_context.dashboard_url"),
    ('{"name": "Ada", "dashboard_url": "x", "\\udfffkey": 1}', "sample_context."),
    ('{"name": "Ada", "dashboard_url": "x", "items": [{"a": "\\udbff"}]}', "items[0].a"),
]


def csrf_client(role: str, email: str) -> Client:
    """A logged-in staff member whose client checks CSRF like a real browser session."""
    user = User.objects.create_user(email=email, password=None, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.user = user
    return client


def token(client: Client, url: str) -> str:
    page = client.get(url).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def preview(client: Client, template: EmailTemplate, **changes) -> dict:
    csrf = token(client, f"/admin/mail/emailtemplate/{template.pk}/change/")
    data = {**editor_data(template, **changes), "csrfmiddlewaretoken": csrf}
    response = client.post(f"/admin/mail/emailtemplate/{template.pk}/preview/", data)
    assert response.status_code == 200, response.content[:500]
    return response.json()


@pytest.mark.parametrize(("sample", "where"), POISONED_SAMPLES)
def test_a_preview_with_poisoned_sample_data_names_the_field_and_the_key(sample, where):
    client = csrf_client(VIEWER, "viewer@summasaas.example")
    template = EmailTemplate.objects.get(key="welcome")
    answer = preview(client, template, sample_context=sample)
    assert not answer["ok"]
    [problem] = [p for p in answer["problems"] if p["field"] == "sample_context"]
    assert where in problem["message"]
    assert "NUL character or an unpaired surrogate" in problem["message"]


def test_the_problem_points_at_the_line_of_the_poisoned_json_string():
    client = csrf_client(VIEWER, "viewer@summasaas.example")
    template = EmailTemplate.objects.get(key="welcome")
    sample = (
        '{\n  "name": "Ada",\n  "dashboard_url": "x",\n'
        '  "note": "ok \\ud83d\\ude00",\n  "bad": "\\ud800"\n}'
    )
    [problem] = preview(client, template, sample_context=sample)["problems"]
    assert (problem["line"], problem["column"]) == (5, 10)  # the paired emoji is fine


@pytest.mark.parametrize("field", ["mjml", "subject", "preheader", "text_body"])
def test_a_nul_typed_in_a_text_field_is_a_problem_at_that_field(field):
    client = csrf_client(VIEWER, "viewer@summasaas.example")
    template = EmailTemplate.objects.get(key="welcome")
    text = getattr(template, field) or "Hello {{ name }}"
    answer = preview(client, template, **{field: text[:5] + "\x00" + text[5:]})
    assert not answer["ok"]
    assert [(p["field"], p["line"], p["column"]) for p in answer["problems"]] == [(field, 1, 6)]


def test_a_poisoned_declared_variable_is_refused_with_its_field():
    client = csrf_client(VIEWER, "viewer@summasaas.example")
    template = EmailTemplate.objects.get(key="welcome")
    answer = preview(client, template, variables='["name", "dashboard_url", "x\\ud800"]')
    assert [p["field"] for p in answer["problems"]] == ["variables"]
    assert "variables[2]" in answer["problems"][0]["message"]


def add_data(client: Client, **changes) -> dict:
    new = EmailTemplate(key="poisoned", name="Poisoned", category="transactional")
    welcome = EmailTemplate.objects.get(key="welcome")
    changes = {
        "mjml": welcome.mjml,
        "subject": welcome.subject,
        "variables": json.dumps(welcome.variables),
        **changes,
    }
    data = editor_data(new, **changes)
    return {**data, "csrfmiddlewaretoken": token(client, "/admin/mail/emailtemplate/add/")}


@pytest.mark.parametrize(("sample", "where"), POISONED_SAMPLES)
def test_adding_a_template_with_poisoned_sample_data_is_a_form_error_and_saves_nothing(
    sample, where
):
    client = csrf_client(TEMPLATE_EDITOR, "editor@summasaas.example")
    versions = EmailTemplateVersion.objects.count()
    data = add_data(client, sample_context=sample)
    response = client.post("/admin/mail/emailtemplate/add/", data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["sample_context"] and where in errors["sample_context"][0]
    assert not EmailTemplate.objects.filter(key="poisoned").exists()
    assert EmailTemplateVersion.objects.count() == versions


def test_adding_a_template_with_a_nul_in_its_body_is_a_form_error_on_the_body():
    client = csrf_client(TEMPLATE_EDITOR, "editor@summasaas.example")
    body = EmailTemplate.objects.get(key="welcome").mjml.replace("Welcome", "Wel\x00come", 1)
    response = client.post("/admin/mail/emailtemplate/add/", add_data(client, mjml=body))
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["mjml"]
    assert not EmailTemplate.objects.filter(key="poisoned").exists()


@pytest.fixture
def provider(settings):
    settings.MAILERS = {"default": {"BACKEND": "anymail.backends.test.EmailBackend"}}
    mail.outbox = []
    return mail.outbox


@pytest.mark.parametrize(
    ("context", "where"),
    [('{"name": "Grace\\ud800"}', "context.name"), ('{"na\\u0000me": "Grace"}', "context.na")],
)
def test_a_test_send_with_a_poisoned_context_is_a_form_error_naming_it(provider, context, where):
    client = csrf_client(SENDER, "sender@summasaas.example")
    template = EmailTemplate.objects.get(key="welcome")
    url = f"/admin/mail/emailtemplate/{template.pk}/test_send/"
    csrf = token(client, f"/admin/mail/emailtemplate/{template.pk}/change/")
    data = {"_form_submitted": "on", "to": "sender@summasaas.example", "context": context}
    response = client.post(url, {**data, "csrfmiddlewaretoken": csrf})
    assert response.status_code == 200 and "HX-Redirect" not in response.headers
    page = response.content.decode()
    assert where in page and "unpaired surrogate" in page
    assert not OutboundEmail.objects.exists() and provider == []


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"context": {"name": "Grace\ud800"}}, "context.name"),
        ({"context": {"items": [{"x\x00": 1}]}}, "context.items[0].x"),
        ({"context": {}, "dedupe_key": "welcome:\x00"}, "dedupe_key"),
        ({"context": {}, "secrets": {"reset_url": "https://x.example/\udfff"}}, "reset_url"),
    ],
)
def test_send_email_refuses_a_poisoned_context_with_a_context_error(fields, where):
    with pytest.raises(ContextError, match=re.escape(where)):
        send_email(template_key="welcome", to="ada@example.com", **fields)
    with pytest.raises(ContextError, match=re.escape(where)):
        send_email_many(template_key="welcome", recipients=[{"to": "ada@example.com", **fields}])
    assert not OutboundEmail.objects.exists()
