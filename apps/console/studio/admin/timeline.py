"""An outbox email's timeline on its page: queued, each attempt, each provider event."""

from django.utils.translation import gettext_lazy as _

from apps.mail.models import OutboundEmail

from .common import EVENT_COLOURS, STATUS_COLOURS


def email_timeline(email: OutboundEmail) -> list[dict]:
    """Queued, every attempt and every provider event, in time order."""
    items = [_item(email.created_at, _("Queued"), email.dedupe_key or "", "info")]
    attempts = list(email.attempt_log.all())
    for attempt in attempts:
        outcome = attempt.get_outcome_display()
        if attempt is attempts[-1] and attempt.outcome == "retry" and email.status != "queued":
            # Its last attempt: nothing retried it (no try left, or settled since).
            outcome = _("Transient error, not retried (%(status)s)") % {
                "status": email.get_status_display().lower()
            }
        title = _("Attempt %(n)s: %(o)s") % {"n": attempt.number, "o": outcome}
        colour = STATUS_COLOURS.get(attempt.outcome, "warning")
        items.append(_item(attempt.finished_at, title, attempt.error, colour))
    for event in email.events.all():
        parts = [event.reject_reason, event.description, event.mta_response, event.click_url]
        items.append(
            _item(
                event.occurred_at or event.received_at,
                event.event_type.title(),
                " ".join(filter(None, parts)),
                EVENT_COLOURS.get(event.event_type, "info"),
            )
        )
    return sorted(items, key=lambda item: item["at"])


def _item(at, title, detail, colour) -> dict:
    return {"at": at, "title": title, "detail": detail, "colour": colour}
