from apps.console.studio.services import studio_email_mark_sent

from ._emails import EmailsCommand


class Command(EmailsCommand):
    help = "Settle emails whose delivery was interrupted (unknown) as sent: they arrived."
    service = staticmethod(studio_email_mark_sent)

    @staticmethod
    def outcome(email, marked) -> str:
        return "marked sent" if marked else f"left {email.status}"
