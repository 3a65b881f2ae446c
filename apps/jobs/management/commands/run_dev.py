import os
import signal
import subprocess
import sys
import threading

from django.core.management.base import BaseCommand

STOP_GRACE_SECONDS = 10


class Command(BaseCommand):
    help = (
        "Run the web console and one huey consumer together in the foreground, their logs "
        "interleaved; Ctrl-C stops both."
    )

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args, addr: str, **options):
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
