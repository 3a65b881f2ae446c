from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.mail.models import EmailTemplate
from apps.mail.qa.check import RUN, SKIP
from apps.mail.qa.emails import qa_active_emails
from apps.mail.qa.report import write_report


class Command(BaseCommand):
    help = (
        "Check every template's active version in every language the way a QA reviewer does "
        "(client support, links, contrast in three modes, accessibility, SpamAssassin, size) "
        "and write one static HTML report. Exits non-zero when any email has an error."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--template",
            action="append",
            dest="keys",
            metavar="KEY",
            help="only this template (repeatable)",
        )
        parser.add_argument(
            "--output",
            type=Path,
            default=Path(settings.VAR_DIR) / "email-qa" / "report.html",
            help="where to write the report (default: var/email-qa/report.html)",
        )
        parser.add_argument(
            "--skip-spam",
            action="store_true",
            help="do not run SpamAssassin (the report says it was skipped)",
        )

    def handle(self, *args, keys, output: Path, skip_spam: bool, **options):
        if keys:
            unknown = sorted(set(keys) - set(EmailTemplate.objects.values_list("key", flat=True)))
            if unknown:
                raise CommandError(f"no template named {', '.join(unknown)}")
        results = qa_active_emails(keys=keys, spam_score=SKIP if skip_spam else RUN)
        if not results:
            raise CommandError("no active template versions: run manage.py sync_email_templates")
        for qa in results:
            self._summary(qa)
        path = write_report(results, output)
        errors = sum(len(qa.errors) for qa in results)
        failing = sum(1 for qa in results if qa.errors)
        self.stdout.write(f"Report: {path}")
        if errors:
            raise CommandError(f"{errors} error(s) in {failing} of {len(results)} emails")
        self.stdout.write(self.style.SUCCESS(f"{len(results)} emails checked, no errors"))

    def _summary(self, qa) -> None:
        counts = {s: len(qa.findings(s)) for s in ("error", "warning", "accepted")}
        self.stdout.write(
            f"{qa.email.key} ({qa.email.language}): {counts['error']} error(s), "
            f"{counts['warning']} warning(s), {counts['accepted']} accepted"
        )
        for finding in qa.errors:
            where = f" [{finding.where}]" if finding.where else ""
            self.stdout.write(f"  {finding.area}{where}: {finding.message}")
