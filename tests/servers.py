"""Pytest plugin (loaded with `-p tests.servers`): the backing services of the test run.

It runs before Django reads its settings, so that the settings see the services' addresses.

Profiles (`SUMMASAAS_TEST_PROFILE`):
- `production` (default): a real PostgreSQL and a real Redis. Private instances on free ports,
  started from the installed binaries, unless `TEST_DATABASE_URL` / `TEST_REDIS_URL` name
  servers to use instead. A missing binary stops the run with what to install: never a skip.
  PostgreSQL runs with fsync off unless SUMMASAAS_PG_DURABLE=1 (benchmarks).
- `embedded`: nothing set, so the project's embedded defaults apply (SQLite, SqliteHuey, local
  files), all under a private temporary folder.

Under pytest-xdist (`make test` runs `-n $(TEST_WORKERS)`) each worker gets its own PostgreSQL,
Redis, folder and huey name, so workers never see each other's rows, queues or files; the
controller, which runs no test, starts nothing.
"""

import atexit
import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

PROFILE = os.environ.get("SUMMASAAS_TEST_PROFILE", "production")
_cleanups: list = []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answered on 127.0.0.1:{port} after {timeout} s")


def _need(path: str | None, package: str) -> str:
    if not path:
        raise pytest.UsageError(
            f"The production-path tests need {package!r} (Debian package {package}); run "
            f"`make test` (it installs it as root) or `apt-get install -y {package}`."
        )
    return path


def redis_server(port: int, *, pidfile, folder, logfile, binary: str = "redis-server") -> None:
    """Start a redis-server on `port` that keeps nothing on disk (no snapshot, no append-only
    file), as the tests' servers and a restart without persistence want; wait until it listens."""
    subprocess.run(
        [
            binary,
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--pidfile",
            str(pidfile),
            "--dir",
            str(folder),
            "--logfile",
            str(logfile),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wait_for_port(port)


def start_redis(workdir: Path) -> str:
    binary = _need(shutil.which("redis-server"), "redis-server")
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    redis_server(
        port,
        pidfile=workdir / "redis.pid",
        folder=workdir,
        logfile=workdir / "redis.log",
        binary=binary,
    )
    _cleanups.append(lambda: _kill_pidfile(workdir / "redis.pid"))
    return f"redis://127.0.0.1:{port}/0"


def _kill_pidfile(pidfile: Path) -> None:
    with contextlib.suppress(OSError, ValueError):
        os.kill(int(pidfile.read_text().strip()), 15)


def _as_postgres(command: list[str]) -> list[str]:
    # initdb refuses to run as root: run the server as the `postgres` user then.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def start_postgres(workdir: Path) -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version_key)
    bindir = Path(_need(found[-1] if found else shutil.which("initdb"), "postgresql")).parent
    port = free_port()
    data = workdir / "data"
    workdir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    subprocess.run(
        _as_postgres(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    # Tests trade durability for speed; benchmarks (`make bench` sets SUMMASAAS_PG_DURABLE=1)
    # run with production's: every commit waits for its WAL flush.
    durable = "on" if os.environ.get("SUMMASAAS_PG_DURABLE") == "1" else "off"
    options = (
        f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync={durable} "
        f"-c synchronous_commit={durable} -c full_page_writes={durable} -c max_connections=200"
    )
    subprocess.run(
        _as_postgres(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-w",
                "-l",
                str(workdir / "postgres.log"),
                "start",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    stop = [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]
    _cleanups.append(lambda: subprocess.run(_as_postgres(stop), stdout=subprocess.DEVNULL))
    return f"postgres://postgres@127.0.0.1:{port}/postgres"


def _version_key(path: str) -> int:
    part = path.split("/")[4]
    return int(part) if part.isdigit() else 0


def _stop_all() -> None:
    while _cleanups:
        _cleanups.pop()()


def _xdist_controller(args: list[str]) -> bool:
    """True in the process that hands tests to xdist workers (it runs none itself)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return False
    for index, arg in enumerate(args):
        if arg in ("-n", "--numprocesses"):
            value = args[index + 1] if index + 1 < len(args) else "0"
        elif arg.startswith("--numprocesses="):
            value = arg.partition("=")[2]
        elif arg.startswith("-n") and len(arg) > 2:
            value = arg[2:]
        else:
            continue
        return value not in ("0", "")
    return False


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    if PROFILE not in ("production", "embedded"):
        raise pytest.UsageError(
            f"SUMMASAAS_TEST_PROFILE={PROFILE!r}: use 'production' (default) or 'embedded'."
        )
    root = Path(tempfile.mkdtemp(prefix="summasaas-test-"))
    root.chmod(0o755)  # the postgres user must reach its data folder inside
    _cleanups.append(lambda: shutil.rmtree(root, ignore_errors=True))
    atexit.register(_stop_all)
    os.environ["VAR_DIR"] = str(root / "var")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:  # inherited from the controller: each worker needs its own queue name
        os.environ["HUEY_NAME"] = f"summasaas-test-{os.getppid()}-{worker}"
    else:
        os.environ.setdefault("HUEY_NAME", f"summasaas-test-{os.getpid()}")
    for name in ("DATABASE_URL", "REDIS_URL", "AWS_STORAGE_BUCKET_NAME", "EMAIL_PROVIDER"):
        os.environ.pop(name, None)
    if PROFILE == "production" and not _xdist_controller(args):
        os.environ["DATABASE_URL"] = os.environ.get("TEST_DATABASE_URL") or start_postgres(
            root / "postgres"
        )
        os.environ["REDIS_URL"] = os.environ.get("TEST_REDIS_URL") or start_redis(root / "redis")


def pytest_report_header(config):
    return [
        f"profile: {PROFILE}; database: {os.environ.get('DATABASE_URL', 'SQLite (embedded)')}; "
        f"broker: {os.environ.get('REDIS_URL', 'SqliteHuey (embedded)')}"
    ]


def pytest_collection_modifyitems(config, items):
    """`embedded(only=True)` tests run the embedded default whatever the profile (`make run`
    ignores the run's PostgreSQL and Redis): the production pass leaves them to the embedded
    one."""
    if PROFILE != "production":
        return
    kept, left = [], []
    for item in items:
        marker = item.get_closest_marker("embedded")
        (left if marker and marker.kwargs.get("only") else kept).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


def pytest_unconfigure(config):
    _stop_all()
