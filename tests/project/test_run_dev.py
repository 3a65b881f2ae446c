"""`manage.py run_dev` (what `make run` ends with): web and consumer together, Ctrl-C stops both."""

import signal
import subprocess
import sys
import urllib.request

import pytest

from tests.conftest import ROOT, subprocess_env, wait_until
from tests.servers import free_port


def _get(url: str) -> int:
    try:
        return urllib.request.urlopen(url, timeout=2).status
    except OSError:
        return 0


@pytest.mark.embedded
@pytest.mark.django_db(transaction=True)
def test_run_dev_serves_the_console_runs_a_consumer_and_stops_both_on_ctrl_c(tmp_path):
    port = free_port()
    log = tmp_path / "run_dev.log"
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_dev", "--addr", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=subprocess_env(),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: _get(f"http://127.0.0.1:{port}/admin/login/") == 200, timeout=30)
        wait_until(lambda: "worker | " in log.read_text(), message=log.read_text())
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    output = log.read_text()
    assert "web    | " in output and "Huey consumer started" in output
    assert "web console and consumer stopped" in output
    assert _get(f"http://127.0.0.1:{port}/admin/login/") == 0
