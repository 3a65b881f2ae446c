"""Logging: gunicorn's own log lines keep their pid; the consumer keeps its speed-ups.

The record lookups a format never prints (caller, thread, process, task) are turned off per
process only when no configured formatter asks for them (project/logs.py): gunicorn's error
log asks for `%(process)d`, which a lookup turned off globally made fail ("--- Logging error
---", the line lost), worker and master alike.
"""

import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT, subprocess_env, wait_until
from tests.web import Gunicorn

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a-test-secret-key-that-is-long-enough-for-the-checks-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SITE_URL": "http://127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "WEBHOOK_SECRET": "hook:secret",
    "STRIPE_WEBHOOK_SECRET": "whsec_test",
}
# gunicorn's error log format is "%(asctime)s [%(process)d] [%(levelname)s] %(message)s".
ERROR_LINE = re.compile(r"^\[[^\]]+\] \[(\d+)\] \[(\w+)\] (.*)$")


def run_gunicorn(tmp_path, *extra: str) -> tuple[str, int]:
    """Serve one request through gunicorn (DEBUG=0), stop it, return its log and the status."""
    options = ["--error-logfile", "-", "--access-logfile", "-"]
    options += ["--access-logformat", '%(p)s "%(r)s" %(s)s', "--no-control-socket", *extra]
    server = Gunicorn(tmp_path / "gunicorn.log", *options, env=subprocess_env(**PRODUCTION))
    try:
        wait_until(lambda: "Booting worker" in server.log(), timeout=30)
        status = wait_until(lambda: server.status("/healthz"), timeout=30)
    finally:
        server.stop(30)  # SIGTERM: the worker and the master say goodbye in the log
    return server.log(), status


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("preload", [False, True], ids=["app-in-worker", "app-preloaded"])
def test_gunicorns_error_and_access_lines_show_the_pid(tmp_path, preload):
    text, status = run_gunicorn(tmp_path, *(["--preload"] if preload else []))
    assert "Logging error" not in text and "Traceback" not in text, text
    lines = [ERROR_LINE.match(line) for line in text.splitlines()]
    pids = {m.group(3): int(m.group(1)) for m in lines if m}
    master = next(pid for said, pid in pids.items() if said.startswith("Starting gunicorn "))
    worker = int(re.search(r"Booting worker with pid: (\d+)", text).group(1))
    assert any(said.startswith("Listening at: http://127.0.0.1") for said in pids)
    assert pids[f"Booting worker with pid: {worker}"] == worker  # the app loaded, if preloaded
    assert pids[f"Worker exiting (pid: {worker})"] == worker  # after the app loaded in the worker
    assert pids["Shutting down: Master"] == master != worker
    assert f'<{worker}> "GET /healthz HTTP/1.1" {status}' in text  # the access line, its pid


def python(code: str) -> str:
    """Run `code` in a new Python process with the project's settings; its stdout."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


SWITCHES = (
    "import logging; print(logging._srcfile is None, logging.logThreads, logging.logProcesses,"
    " logging.logMultiprocessing, logging.logAsyncioTasks)"
)


def test_a_process_with_only_our_formats_skips_every_lookup_as_the_consumer_does():
    output = python(f"import django; django.setup(); {SWITCHES}")
    assert output.split() == ["True", "False", "False", "False", "False"]


def test_a_format_configured_before_django_still_gets_the_fields_it_prints():
    code = f"""
import logging, os, sys
handler = logging.StreamHandler(sys.stdout)  # as gunicorn sets up its error log
fmt = "%(process)d %(threadName)s %(funcName)s:%(lineno)d %(message)s"
handler.setFormatter(logging.Formatter(fmt))
logger = logging.getLogger("gunicorn.error")
logger.addHandler(handler)
logger.propagate = False
import django; django.setup()
def report():
    logging.getLogger("gunicorn.error").error("hello")
report()
print("pid", os.getpid())
{SWITCHES}
"""
    output = python(code)
    pid = re.search(r"^pid (\d+)$", output, re.M).group(1)
    line = code.splitlines().index('    logging.getLogger("gunicorn.error").error("hello")') + 1
    assert f"{pid} MainThread report:{line} hello" in output, output
    assert output.split()[-5:] == ["False", "True", "True", "False", "False"]  # no task lookup


def test_a_formatter_class_that_may_print_anything_keeps_every_lookup():
    code = f"""
import logging
class JsonFormatter(logging.Formatter):
    def format(self, record):
        return str(vars(record))
handler = logging.StreamHandler()
handler.setFormatter(JsonFormatter())
logging.getLogger("json").addHandler(handler)
import django; django.setup()
{SWITCHES}
"""
    assert python(code).split() == ["False", "True", "True", "True", "True"]
