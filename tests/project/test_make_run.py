"""`make run PORT=...` (issue 19.12): progress while it sets up, the port it was given with
SITE_URL following, and a restart serving in under 20 s.

On 01ea189 `make run` started Django six times before serving (migrate, sync, cache table,
seed_demo, ensure_admin, run_dev: about 3 s each, seed_demo silent for 9 s on a restart) and
always on port 8000 with links to 127.0.0.1:8000. Here it runs as a developer runs it, on an
empty embedded VAR_DIR (SQLite, SqliteHuey), twice.
"""

import os
import signal
import subprocess
import time
import urllib.request

import pytest

from tests.conftest import ROOT, wait_until
from tests.servers import free_port

RESTART_BUDGET = 20.0  # seconds from `make run` to the console answering, on a restart


def _status(url: str) -> int:
    try:
        return urllib.request.urlopen(url, timeout=2).status
    except OSError:
        return 0


def make_run(port: int, var: str, log) -> subprocess.Popen:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SITE_URL")
    }
    env.update(VAR_DIR=var, HUEY_NAME="make-run-test", PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C reaches make and everything it started
    )


def serve_and_stop(port: int, var: str, log_path) -> float:
    """Seconds until the console answers; then Ctrl-C, and everything stops."""
    started = time.monotonic()
    with log_path.open("w") as log:
        process = make_run(port, var, log)
        try:
            wait_until(
                lambda: _status(f"http://127.0.0.1:{port}/admin/login/") == 200,
                timeout=240,
                message=log_path.read_text()[-3000:],
            )
            ready = time.monotonic() - started
            os.killpg(process.pid, signal.SIGINT)
            process.wait(60)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    return ready


@pytest.mark.embedded(only=True)  # `make run` uses the embedded default whatever the profile
def test_make_run_shows_progress_takes_a_port_and_restarts_quickly(tmp_path):
    port, var = free_port(), str(tmp_path / "var")
    serve_and_stop(port, var, tmp_path / "first.log")
    first = (tmp_path / "first.log").read_text()
    for step in ("[1/5] database...", "[4/5] demo data", "[5/5] admin login...", "done in"):
        assert step in first, first[-3000:]
    assert f"(at http://127.0.0.1:{port}/admin/)" in first  # SITE_URL followed the port
    assert f"development server at http://127.0.0.1:{port}/" in first
    again = serve_and_stop(port, var, tmp_path / "again.log")
    assert again < RESTART_BUDGET, (again, (tmp_path / "again.log").read_text()[-3000:])
    assert "web console and consumer stopped" in (tmp_path / "again.log").read_text()
