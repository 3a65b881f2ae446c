"""Fixtures of the jobs tests: the session's SeaweedFS (tests/storage.py) for the S3 test."""

from tests.mail.conftest import smtp_sink  # noqa: F401 (fixtures)
from tests.storage import s3_files, seaweedfs  # noqa: F401 (fixtures)
