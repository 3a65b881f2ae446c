from apps.console.studio.services import studio_email_retry

from ._emails import SettleCommand


class Command(SettleCommand):
    help = "Queue failed or unknown emails for another delivery attempt (same row)."
    service = staticmethod(studio_email_retry)
    done, refused = "queued", "not retried ({status})"
