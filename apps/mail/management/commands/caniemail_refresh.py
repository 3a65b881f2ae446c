from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.mail.qa.refresh import caniemail_refresh


class Command(BaseCommand):
    help = (
        "Replace the vendored caniemail data (apps/mail/qa/data) with FILE: caniemail.json, or "
        "the npm package as `npm pack caniemail` downloads it (.tgz). The file is checked first; "
        "SOURCE.json records its version, date and checksum."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--package-version", default="", help="the package version, for a bare .json file"
        )

    def handle(self, *args, file: Path, package_version: str, **options):
        if not file.is_file():
            raise CommandError(f"{file} is not a file")
        try:
            record = caniemail_refresh(source=file, version=package_version)
        except (ValueError, OSError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"caniemail {record['version']} (data of {record['data_last_update']}): "
            f"{record['features']} features, sha256 {record['sha256'][:12]}…"
        )
        if record["features_we_look_up_missing"]:
            missing = ", ".join(record["features_we_look_up_missing"])
            self.stdout.write(f"not in this data (no longer looked up): {missing}")
