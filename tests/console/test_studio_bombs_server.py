"""Template bombs posted to the preview of a REAL gunicorn server: refused, and it lives on.

Before the bounds, one preview from a Viewer (10,000 nested `<div>`s) killed the worker with
SIGSEGV, deep `{% if %}` nesting gave a 500, and loops or `|center` tied it up for seconds and
hundreds of MB. Here a gunicorn master with one worker serves the test database; every bomb
must come back as a problem at its line within a few seconds, and the same worker must still
be answering afterwards (no SIGSEGV, no restart in its log).
"""

import json
import time
from pathlib import Path

import pytest
import requests

from apps.console.roles import VIEWER
from apps.mail.models import EmailTemplate, EmailTemplateVersion
from tests.conftest import load_shipped_templates
from tests.console.studio_support import editor_data, role_client
from tests.mail.test_bounds import BOMBS, TEXT, nested
from tests.servers import wait_for_port
from tests.web import THREADED, Gunicorn, session_of

pytestmark = pytest.mark.django_db(transaction=True)
ANSWER_WITHIN = 5.0  # seconds of wall time per bomb, on a loaded 2-core machine


@pytest.fixture
def server(tmp_path):
    """gunicorn (1 worker, 2 threads) against the test database; yields it, its URL and log."""
    log = tmp_path / "gunicorn.log"
    web = Gunicorn(tmp_path / "gunicorn.out", *THREADED, "--error-logfile", str(log))
    try:
        wait_for_port(web.port, timeout=30)
        yield web.process, web.url, log
    finally:
        web.stop(15)


def viewer_session(base: str) -> requests.Session:
    """A Viewer's session cookie (made by Django's test client) and a CSRF token."""
    return session_of(role_client(VIEWER, "viewer@summasaas.example"), base)


def worker_deaths(log: Path) -> list[str]:
    words = ("SIGSEGV", "was sent", "Worker exiting", "WORKER TIMEOUT", "Booting worker")
    lines = log.read_text().splitlines()
    return [line for line in lines if any(w in line for w in words)]


def test_template_bombs_get_a_problem_and_the_server_keeps_answering(server):
    process, base, log = server
    load_shipped_templates()
    template = EmailTemplate.objects.get(key="welcome")
    versions = EmailTemplateVersion.objects.count()
    session = viewer_session(base)
    booted = worker_deaths(log)  # the first "Booting worker" line
    bombs = {
        **BOMBS,
        "12,000 nested divs, no size trick": (
            {"mjml": TEXT.format(nested("<i>", "</i>", 12_000))},
            ("mjml", 1, 1, "nest more than 64"),
        ),
    }
    for name, (changes, (field, _line, _column, words)) in bombs.items():
        data = editor_data(
            template, **{k: v if isinstance(v, str) else json.dumps(v) for k, v in changes.items()}
        )
        started = time.monotonic()
        response = session.post(
            f"{base}/admin/mail/emailtemplate/{template.pk}/preview/", data=data, timeout=30
        )
        elapsed = time.monotonic() - started
        assert response.status_code == 200, (name, response.status_code, response.text[:300])
        body = response.json()
        assert not body["ok"], name
        first = body["problems"][0]
        assert first["field"] == field and words in first["message"], (name, first)
        assert elapsed < ANSWER_WITHIN, (name, elapsed)
        assert process.poll() is None, f"the server died on {name}"
    assert session.get(f"{base}/healthz", timeout=10).status_code in (200, 503)
    ok = session.post(
        f"{base}/admin/mail/emailtemplate/{template.pk}/preview/",
        data=editor_data(template),
        timeout=30,
    ).json()
    assert ok["ok"] and "Welcome aboard" in ok["html"]["light"]
    assert worker_deaths(log) == booted, log.read_text()[-2000:]
    assert EmailTemplateVersion.objects.count() == versions
