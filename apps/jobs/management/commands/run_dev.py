import os
import signal
import subprocess
import sys
import threading
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

STOP_GRACE_SECONDS = 10
# What `make run` prepares before serving, in one Django start (each command started its own:
# about 3 s apiece). Each step is quick when there is nothing new to do.
SETUP_STEPS = [
    ("database", "migrate", {"interactive": False, "verbosity": 0}),
    ("email templates", "sync_email_templates", {}),
    ("cache table", "createcachetable", {}),
    ("demo data (about a minute the first time)", "seed_demo", {}),
    ("admin login", "ensure_admin", {}),
]


class Command(BaseCommand):
    help = (
        "Run the web console and one huey consumer together in the foreground, their logs "
        "interleaved; Ctrl-C stops both."
    )

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument(
            "--setup",
            action="store_true",
            help="First migrate, load the email templates, seed the demo and ensure the admin.",
        )

    def handle(self, *args, addr: str, setup: bool = False, **options):
        if setup:
            self.setup()
        manage = [sys.executable, "manage.py"]
        processes = {
            "web": _start([*manage, "runserver", addr]),
            "worker": _start([*manage, "run_huey"]),
        }
        for name, process in processes.items():
            threading.Thread(target=_relay, args=(name, process), daemon=True).start()
        stopped = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopped.set())
        while not stopped.wait(0.5):
            if any(p.poll() is not None for p in processes.values()):
                break
        _stop(processes.values())
        self.stdout.write("web console and consumer stopped")

    def setup(self) -> None:
        """Each step said before it runs and timed after, so a long one never looks stuck."""
        for number, (what, command, options) in enumerate(SETUP_STEPS, 1):
            self.stdout.write(f"[{number}/{len(SETUP_STEPS)}] {what}...")
            self.stdout.flush()
            started = time.monotonic()
            call_command(command, stdout=self.stdout, **options)
            self.stdout.write(f"      done in {time.monotonic() - started:.1f} s")


def _start(command: list[str]) -> subprocess.Popen:
    # A session of its own, so the whole group (runserver's reloader child too) can be stopped.
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env=env,
    )


def _relay(name: str, process: subprocess.Popen) -> None:
    for line in process.stdout:
        sys.stdout.write(f"{name:<6} | {line}")
        sys.stdout.flush()


def _stop(processes) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
