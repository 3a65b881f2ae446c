from apps.console.studio.services import studio_email_mark_sent

from ._emails import SettleCommand


class Command(SettleCommand):
    help = "Settle emails whose delivery was interrupted (unknown) as sent: they arrived."
    service = staticmethod(studio_email_mark_sent)
    done, refused = "marked sent", "left {status}"
