"""gunicorn serving the project in a subprocess: the real HTTP path for the tests that need it."""

import subprocess
import sys
from pathlib import Path

import requests

from tests.conftest import ROOT, subprocess_env, wait_until
from tests.servers import free_port

# Two threads, so that one slow request does not hold up the next; 60 s (gunicorn's default is
# 30) before a silent worker is killed, so that a slow request on a loaded machine is not taken
# for a hung worker.
THREADED = ("--threads", "2", "--timeout", "60")


class Gunicorn:
    """gunicorn with one worker on the test's database (it sees committed rows only); what it
    prints goes to `log_path`, extra command-line `options` after the bind."""

    def __init__(
        self,
        log_path: Path,
        *options: str,
        env: dict[str, str] | None = None,
        port: int | None = None,
    ):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        command = [sys.executable, "-m", "gunicorn", "project.wsgi", "--bind"]
        command += [f"127.0.0.1:{self.port}", "--workers", "1", *options]
        with log_path.open("w") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env or subprocess_env(), stdout=out, stderr=subprocess.STDOUT
            )

    def status(self, path: str, timeout: float = 10) -> int | None:
        """The status of a GET of `path`, or None while nothing answers."""
        try:
            return requests.get(f"{self.url}{path}", timeout=timeout).status_code
        except requests.RequestException:
            return None

    def wait_for(self, path: str, *statuses: int, timeout: float = 60) -> None:
        """Wait until a GET of `path` answers with one of `statuses`."""
        wait_until(
            lambda: self.status(path) in statuses,
            timeout=timeout,
            message=lambda: f"gunicorn did not start:\n{self.log()}",
        )

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self, timeout: float = 20) -> None:
        self.process.terminate()
        self.process.wait(timeout)


def session_of(client, base: str) -> requests.Session:
    """A requests session carrying the login of Django test `client` on the server at `base`,
    and the CSRF token the admin's forms ask for."""
    session = requests.Session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    assert session.get(f"{base}/admin/", timeout=30).status_code == 200  # sets the csrftoken
    session.headers["X-CSRFToken"] = session.cookies["csrftoken"]
    return session
