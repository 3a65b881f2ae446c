"""A typo in the studio is a problem at its line, in the preview and on save, never a 500.

On 01ea189, `{{ site_name }` answered the preview with a 500 and Save with Django's
TemplateSyntaxError page (the field parsed, but MJML joined its line with the next `}}`); an
unclosed `<mj-text>` came back as "line 1, column 1: unexpected end of stream", and a closing
`</mj-txt>` was accepted. Here a real gunicorn serves the studio (its log must show no error)
and a CSRF-checking client saves.
"""

import pytest
import requests
from django.test import Client

from apps.console.roles import TEMPLATE_EDITOR
from apps.mail.models import EmailTemplate, EmailTemplateVersion
from tests.conftest import load_shipped_templates, subprocess_env
from tests.console.studio_support import editor_data, role_client
from tests.servers import wait_for_port
from tests.web import THREADED, Gunicorn, session_of


def welcome_with(line_5: str) -> tuple[EmailTemplate, str]:
    """The shipped welcome email with its 5th line replaced by `line_5(old line)`."""
    template = EmailTemplate.objects.get(key="welcome")
    lines = template.mjml.split("\n")
    lines[4] = line_5(lines[4])
    return template, "\n".join(lines)


# Each typo on line 5 of the welcome email: (edit of the line, column, words of the problem)
TYPOS = {
    "{{ x }": (lambda line: line.replace("first of", "first {{ x } of"), None, "{{ is not closed"),
    "{{ site_name }": (
        lambda line: line.replace("first of", "first {{ site_name } of"),
        None,
        "{{ is not closed with }} on its line",
    ),
    "unclosed <mj-text>": (
        lambda line: line.replace("</mj-text>", ""),
        5,
        "<mj-text> is never closed: <mj-button> at line 6, column 5 is inside it",
    ),
    "</mj-txt>": (
        lambda line: line.replace("</mj-text>", "</mj-txt>"),
        None,
        "</mj-txt> does not close <mj-text> opened at line 5, column 5",
    ),
}


def expected_column(name: str, mjml: str) -> int:
    line = mjml.split("\n")[4]
    marker = {"{{ x }": "{{ x }", "{{ site_name }": "{{ site_name }", "</mj-txt>": "</mj-txt>"}
    return line.index(marker[name]) + 1 if name in marker else TYPOS[name][1]


@pytest.fixture
def server(tmp_path):
    """gunicorn on the test database, its stderr (where Django logs a request's error) in a
    file."""
    web = Gunicorn(
        tmp_path / "server.log", *THREADED, env=subprocess_env(ALLOWED_HOSTS="127.0.0.1")
    )
    try:
        wait_for_port(web.port, timeout=30)
        yield web.url, web.log_path
    finally:
        web.stop(15)


def editor_browser(base: str) -> requests.Session:
    """A Template editor signed in (the session made by Django's test client)."""
    return session_of(role_client(TEMPLATE_EDITOR, "editor@summasaas.example"), base)


@pytest.mark.django_db(transaction=True)
def test_each_typo_is_a_problem_at_its_line_in_preview_and_save_with_no_server_error(server):
    base, log = server
    load_shipped_templates()
    versions = EmailTemplateVersion.objects.count()
    browser = editor_browser(base)
    for name, (edit, _column, words) in TYPOS.items():
        template, mjml = welcome_with(edit)
        data = editor_data(template, mjml=mjml)
        url = f"{base}/admin/mail/emailtemplate/{template.pk}"
        answer = browser.post(f"{url}/preview/", data=data, timeout=30)
        assert answer.status_code == 200, (name, answer.text[:300])
        first = answer.json()["problems"][0]
        assert (first["field"], first["line"]) == ("mjml", 5), (name, first)
        assert first["column"] == expected_column(name, mjml), (name, first)
        assert words in first["message"], (name, first)
        saved = browser.post(f"{url}/change/", data=data, timeout=30)
        assert saved.status_code == 200, (name, saved.status_code)  # the form again, not a 302
        assert f"line 5, column {expected_column(name, mjml)}: " in saved.text, name
        assert "TemplateSyntaxError" not in saved.text
    assert EmailTemplateVersion.objects.count() == versions
    text = log.read_text()
    assert "Internal Server Error" not in text and "Traceback" not in text, text[-3000:]


@pytest.mark.django_db
def test_the_studio_save_form_lists_the_typo_at_its_line(admin_user):
    load_shipped_templates()
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    template, mjml = welcome_with(TYPOS["{{ site_name }"][0])
    url = f"/admin/mail/emailtemplate/{template.pk}/change/"
    client.get(url)
    data = {
        **editor_data(template, mjml=mjml),
        "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
    }
    response = client.post(url, data)
    assert response.status_code == 200
    column = expected_column("{{ site_name }", mjml)
    assert f"line 5, column {column}: {{{{ is not closed with }}}} on its line" in (
        response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')
    )
    assert EmailTemplate.objects.get(pk=template.pk).mjml == template.mjml
