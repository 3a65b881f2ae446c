from tests.storage import s3_files, seaweedfs, stored_files  # noqa: F401 (fixtures)
