from apps.console.studio.services import studio_email_retry

from ._emails import EmailsCommand


class Command(EmailsCommand):
    help = "Queue failed or unknown emails for another delivery attempt (same row)."
    service = staticmethod(studio_email_retry)

    @staticmethod
    def outcome(email, queued) -> str:
        return "queued" if queued else f"not retried ({email.status})"
