"""Monthly character quotas: usage counted atomically, refused past the limit, alerts once."""

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from apps.accounts.models import Organization

from ..exceptions import NoPlanError, QuotaExceededError
from ..models import Plan, QuotaAlert, Subscription, UsageRecord
from .notify import owner_email

FREE_PLAN_CODE = "free"
THRESHOLDS = sorted(QuotaAlert.Threshold.values)  # 80, 100


def organization_plan(*, organization: Organization) -> Plan:
    """The plan whose allowance applies now: the live subscription's, else Free."""
    subscription = (
        Subscription.objects.filter(organization=organization)
        .exclude(status=Subscription.Status.CANCELED)
        .select_related("plan")
        .first()
    )
    if subscription:
        return subscription.plan
    plan = Plan.objects.filter(code=FREE_PLAN_CODE).first()
    if plan is None:
        raise NoPlanError(
            f"{organization} has no live subscription and no '{FREE_PLAN_CODE}' plan exists; "
            "create the plans (manage.py seed_demo creates them)."
        )
    return plan


def usage_record_for_month(
    *, organization: Organization, month: dt.date | None = None
) -> UsageRecord:
    """The organization's record for a month (this month by default), created at zero if new."""
    period_start = UsageRecord.month_of(month or timezone.now())
    try:
        return UsageRecord.objects.get(organization=organization, period_start=period_start)
    except UsageRecord.DoesNotExist:
        limit = organization_plan(organization=organization).monthly_characters
    try:
        with transaction.atomic():
            return UsageRecord.objects.create(
                organization=organization, period_start=period_start, characters_limit=limit
            )
    except IntegrityError:  # another request created it between our read and our insert
        return UsageRecord.objects.get(organization=organization, period_start=period_start)


def _check(characters: int) -> None:
    if isinstance(characters, bool) or not isinstance(characters, int) or characters < 0:
        raise ValueError(f"characters must be a whole number, zero or more (got {characters!r})")


def usage_reserve(*, organization: Organization, characters: int) -> UsageRecord:
    """Charge `characters` to this month's quota if they fit, else refuse them.

    The contract the API relies on:
    - Atomic: the charge is one conditional `UPDATE ... SET used = used + n WHERE used + n <=
      limit`, so concurrent requests never lose an update nor together overshoot the limit.
    - Refusal: raises `QuotaExceededError` (a `PermissionError`) and counts nothing; the
      refusal still sends the 100 % alert, once per organization and month.
    - Alerts: crossing 80 % or 100 % sends that alert once a month; crossing both at once
      (79 % -> 100 %) sends only the 100 % one.
    - Its own transaction (`durable`): it commits before returning or raising, so that the
      refusal's alert is not rolled back with the caller's work. Calling it inside another
      `transaction.atomic()` is a RuntimeError; reserve first, then do the work, and give the
      characters back with `usage_release` if the work cannot be done. A caller whose work
      row must commit with the charge uses `usage_charge` in its own durable transaction.
    The returned record carries `previous_characters_used`, the value before this charge.
    """
    try:
        with transaction.atomic(durable=True):
            return usage_charge(organization=organization, characters=characters)
    except QuotaExceededError:
        usage_refusal_alert(organization=organization)
        raise


def usage_charge(*, organization: Organization, characters: int) -> UsageRecord:
    """`usage_reserve`'s charge inside the caller's transaction: the charge commits with the
    caller's row (a request and its characters are one unit) and its rollback gives the
    characters back. Over the limit it raises `QuotaExceededError` having counted nothing;
    the caller then calls `usage_refusal_alert` once its transaction is over, so that the
    100 % alert is not rolled back with it."""
    _check(characters)
    record = usage_record_for_month(organization=organization)
    fits = UsageRecord.objects.filter(
        pk=record.pk, characters_used__lte=F("characters_limit") - characters
    )
    if fits.update(characters_used=F("characters_used") + characters, updated_at=timezone.now()):
        return _counted(record, characters)
    record.refresh_from_db()
    raise QuotaExceededError(
        f"{organization} has not enough characters left this month for {characters:,} "
        f"({record.remaining:,} of {record.characters_limit:,} left); upgrade the plan or "
        "wait for the monthly reset.",
        requested=characters,
        remaining=record.remaining,
        limit=record.characters_limit,
        month=f"{record.period_start:%Y-%m}",
    )


def usage_refusal_alert(*, organization: Organization) -> None:
    """A request was refused for want of characters: the 100 % alert, once a month."""
    record = usage_record_for_month(organization=organization)
    quota_alert_raise(record=record, threshold=QuotaAlert.Threshold.EXHAUSTED)


@transaction.atomic
def usage_record(*, organization: Organization, characters: int) -> UsageRecord:
    """Count characters already spent, even past the limit (imports, staff corrections).

    Requests that must stay within the quota go through `usage_reserve`. The increment is a
    single `UPDATE ... SET used = used + n`; alerts as in `usage_reserve`.
    """
    _check(characters)
    record = usage_record_for_month(organization=organization)
    UsageRecord.objects.filter(pk=record.pk).update(
        characters_used=F("characters_used") + characters, updated_at=timezone.now()
    )
    return _counted(record, characters)


def usage_release(*, organization: Organization, characters: int, month: dt.date) -> None:
    """Give back characters reserved for work that could not be done (never below zero)."""
    _check(characters)
    UsageRecord.objects.filter(
        organization=organization, period_start=UsageRecord.month_of(month)
    ).update(
        characters_used=Greatest(F("characters_used") - characters, 0), updated_at=timezone.now()
    )


def _counted(record: UsageRecord, characters: int) -> UsageRecord:
    # Exact: our UPDATE keeps the row locked until commit, so nobody moved it in between.
    record.refresh_from_db()
    record.previous_characters_used = record.characters_used - characters
    crossed = [t for t in THRESHOLDS if _crossed(record, t)]
    if crossed:
        quota_alert_raise(record=record, threshold=crossed[-1])
    return record


def _crossed(record: UsageRecord, threshold: int) -> bool:
    line = threshold * record.characters_limit
    return record.previous_characters_used * 100 < line <= record.characters_used * 100


@transaction.atomic
def quota_alert_raise(*, record: UsageRecord, threshold: int) -> QuotaAlert | None:
    """Record that an organization reached `threshold` % this month and email its owner, once.

    The alert row and its email commit together. Lower thresholds are recorded as reached
    without an email (79 % -> 100 % sends only the 100 % alert), and a lower threshold reached
    after a higher one was announced is recorded silently. None when the alert existed.
    """
    key = {"organization_id": record.organization_id, "period_start": record.period_start}
    superseded = QuotaAlert.objects.filter(**key, threshold__gt=threshold).exists()
    figures = {
        "characters_used": record.characters_used,
        "characters_limit": record.characters_limit,
    }
    try:
        with transaction.atomic():
            alert = QuotaAlert.objects.create(
                **key, **figures, threshold=threshold, emailed=not superseded
            )
    except IntegrityError:
        return None
    QuotaAlert.objects.bulk_create(
        [
            QuotaAlert(**key, **figures, threshold=t, emailed=False)
            for t in THRESHOLDS
            if t < threshold
        ],
        ignore_conflicts=True,
    )
    if not superseded:
        _alert_email(record, threshold)
    return alert


def _alert_email(record: UsageRecord, threshold: int) -> None:
    owner_email(
        organization=record.organization,
        template_key=f"quota_alert_{threshold}",
        dedupe_key=f"quota_alert:{record.organization_id}:{record.period_start:%Y-%m}:{threshold}",
        month=f"{record.period_start:%B %Y}",
        used=f"{record.characters_used:,}",
        limit=f"{record.characters_limit:,}",
        remaining=f"{record.remaining:,}",
        percent=f"{record.percent_used:g}",
        upgrade_url=settings.UPGRADE_URL,
    )
