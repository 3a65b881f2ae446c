"""Monthly character quotas: usage counted atomically, refused past the limit, alerts once."""

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, connection, transaction
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
    100 % alert is not rolled back with it.

    One statement when it fits (the conditional UPDATE reads the record back with RETURNING);
    the month's first charge creates the record, a refusal reads it for its figures.
    """
    _check(characters)
    month = UsageRecord.month_of(timezone.now())
    record = _add(organization_id=organization.pk, month=month, characters=characters)
    if record is None:  # no record yet this month, or not enough characters left
        current = usage_record_for_month(organization=organization, month=month)
        if current.characters_used <= current.characters_limit - characters:
            record = _add(organization_id=organization.pk, month=month, characters=characters)
        if record is None:  # refused (or the last characters went to a concurrent request)
            current.refresh_from_db()
            raise _refusal(organization, current, characters)
    return _counted(record, characters)


def _refusal(organization: Organization, record: UsageRecord, characters: int):
    return QuotaExceededError(
        f"{organization} has not enough characters left this month for {characters:,} "
        f"({record.remaining:,} of {record.characters_limit:,} left); upgrade the plan or "
        "wait for the monthly reset.",
        requested=characters,
        remaining=record.remaining,
        limit=record.characters_limit,
        month=f"{record.period_start:%Y-%m}",
    )


# `UPDATE ... RETURNING` (PostgreSQL, and SQLite >= 3.35): the charge and the figures the
# alerts need in one round trip. Django's QuerySet.update() returns only a row count.
ADD_SQL = (
    "UPDATE {table} SET characters_used = characters_used + %s, updated_at = %s "
    "WHERE organization_id = %s AND period_start = %s{fits} "
    "RETURNING id, characters_used, characters_limit"
)
FITS_SQL = " AND characters_used <= characters_limit - %s"


def _add(
    *, organization_id: int, month: dt.date, characters: int, within_limit: bool = True
) -> UsageRecord | None:
    """Add `characters` to the month's record, only if they fit when `within_limit`; the
    record as it is now (the row stays locked until the caller commits, so the figures are
    exact), or None when there is no record or they did not fit."""
    ops, now = connection.ops, timezone.now()
    sql = ADD_SQL.format(
        table=ops.quote_name(UsageRecord._meta.db_table), fits=FITS_SQL if within_limit else ""
    )
    params = [characters, ops.adapt_datetimefield_value(now), organization_id]
    params += [ops.adapt_datefield_value(month), *([characters] if within_limit else [])]
    with transaction.mark_for_rollback_on_error(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = {"id": row[0], "organization_id": organization_id, "period_start": month}
    values |= {"characters_used": row[1], "characters_limit": row[2], "updated_at": now}
    names = [f.attname for f in UsageRecord._meta.concrete_fields if f.attname in values]
    # The other fields (closed_at) stay deferred: read only if someone asks for them.
    return UsageRecord.from_db(connection.alias, names, [values[name] for name in names])


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
    month = UsageRecord.month_of(timezone.now())
    add = {"organization_id": organization.pk, "month": month, "characters": characters}
    record = _add(**add, within_limit=False)
    if record is None:  # the month's first: create its record
        usage_record_for_month(organization=organization, month=month)
        record = _add(**add, within_limit=False)
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
    # Exact: our UPDATE read it back and keeps the row locked until commit.
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
        month=f"{record.period_start:%Y-%m}",  # plain data: the email localizes it
        used=record.characters_used,
        limit=record.characters_limit,
        remaining=record.remaining,
        percent=record.percent_used,
        upgrade_url=settings.UPGRADE_URL,
    )
