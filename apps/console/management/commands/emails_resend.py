from apps.console.studio.services import studio_email_resend

from ._emails import EmailsCommand


class Command(EmailsCommand):
    help = "Send copies of emails (same recipient, context and version) as new outbox rows."
    service = staticmethod(studio_email_resend)

    @staticmethod
    def outcome(email, copy) -> str:
        return f"resent as #{copy.pk} ({copy.status})"
