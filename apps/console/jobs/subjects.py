"""What a task works on, when its work is a domain object: the emails a delivery task sends.

Retrying such a task does nothing useful: email delivery only sends rows still `queued`, so a
second run of "deliver email 9" after email 9 failed completes in a few milliseconds and sends
nothing. The console therefore offers the object's own action instead (the email's Retry),
or says that there is nothing to retry, and refuses a blind re-run of the task.

Each kind of task whose arguments name domain objects has a `SubjectKind` here (the console
sits on top of every app, so it may know the mail app; the jobs app knows none).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.jobs.models import TaskRun
from apps.mail.exceptions import SecretsGoneError
from apps.mail.models import OutboundEmail

MAX_SUBJECTS = 200  # a delivery task carries at most MAIL_BATCH_SIZE (100) emails


@dataclass
class Subject:
    """One domain object a task worked on, as the console shows it."""

    pk: int
    label: str
    status: str
    status_label: str
    url: str
    retryable: bool
    detail: str = ""


@dataclass(frozen=True)
class SubjectKind:
    """How to find a task's objects, and how to retry one with its own action."""

    noun: str  # "email"
    plural: str  # "emails"
    load: Callable[[TaskRun], list[Subject]]
    retry: Callable[..., bool]  # retry(actor=..., pk=...) -> whether it was queued again
    why: str  # why a re-run of the task itself would do nothing


def _email_ids(run: TaskRun) -> list[int]:
    """`email_deliver_task(email_ids: list[int] | int)`: ids from its args or kwargs."""
    value = run.args[0] if run.args else (run.kwargs or {}).get("email_ids")
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)][:MAX_SUBJECTS]


def _emails(run: TaskRun) -> list[Subject]:
    ids = _email_ids(run)
    if not ids:
        return []
    rows = OutboundEmail.objects.filter(pk__in=ids).only(
        "pk", "template_key", "to", "status", "last_error"
    )
    found = {email.pk: email for email in rows}
    return [_email_subject(found[pk]) for pk in ids if pk in found]


def _email_subject(email: OutboundEmail) -> Subject:
    retryable = email.status in (OutboundEmail.Status.FAILED, OutboundEmail.Status.UNKNOWN)
    return Subject(
        pk=email.pk,
        label=_("Email #%(pk)s: %(template)s to %(to)s")
        % {"pk": email.pk, "template": email.template_key.replace("_", " "), "to": email.to},
        status=email.status,
        status_label=email.get_status_display(),
        url=reverse("admin:mail_outboundemail_change", args=[email.pk]),
        retryable=retryable,
        detail=email.last_error[:300] if retryable else "",
    )


def _email_retry(*, actor, pk: int) -> bool:
    from apps.console.studio.services import studio_email_retry

    email = OutboundEmail.objects.filter(pk=pk).first()
    if email is None:
        return False
    try:
        return studio_email_retry(actor=actor, email=email)
    except SecretsGoneError:  # its one-time link is gone: only the user can ask again
        return False


KINDS: dict[str, SubjectKind] = {
    "apps.mail.tasks.email_deliver_task": SubjectKind(
        noun="email",
        plural="emails",
        load=_emails,
        retry=_email_retry,
        why="delivery only sends emails still queued",
    ),
}


def subject_kind(run: TaskRun) -> SubjectKind | None:
    """The kind of domain object the run's task works on, or None for an ordinary task."""
    return KINDS.get(run.name)


def subjects_of(run: TaskRun) -> list[Subject]:
    kind = subject_kind(run)
    return kind.load(run) if kind else []


def nothing_to_retry(kind: SubjectKind, subjects: list[Subject]) -> str:
    """Why there is nothing to retry: each object's state, in words."""
    if not subjects:
        return _("Nothing to retry: the %(plural)s this task worked on are gone.") % {
            "plural": kind.plural
        }
    states = sorted({s.status_label.lower() for s in subjects})
    return ngettext(
        "Nothing to retry: its %(noun)s is %(states)s.",
        "Nothing to retry: its %(count)s %(plural)s are %(states)s.",
        len(subjects),
    ) % {
        "noun": kind.noun,
        "plural": kind.plural,
        "count": len(subjects),
        "states": " or ".join(states),
    }
