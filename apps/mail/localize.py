"""Dates, numbers and money in the recipient's language, through Django's localization.

Senders put plain data in an email's context (it is stored as JSON): a date as ISO 8601
(`"2026-12-03"`, a month as `"2026-10"`), a number as a number, money as `"49.00 USD"` (the
amount with a dot, then the currency's code). The email's template says how to show them, and
`rendering.render` renders it with the version's language active, so Django's formats of that
language apply:

| template | English | French |
| --- | --- | --- |
| `{{ renews_on\\|date }}` | Dec. 3, 2026 | 3 décembre 2026 |
| `{{ month\\|date:"YEAR_MONTH_FORMAT" }}` | October 2026 | octobre 2026 |
| `{{ used\\|floatformat:"g" }}` | 8,150 | 8 150 |
| `{{ percent\\|floatformat:"-1" }}` | 81.5 | 81,5 |
| `{{ amount\\|money }}` | 49.00 USD | 49,00 USD |

`date` is Django's own filter, taught to read the ISO strings a JSON context carries.
"""

import datetime as dt
import re
from decimal import Decimal

from django.template.defaultfilters import date as django_date
from django.utils import formats
from django.utils.dateparse import parse_date, parse_datetime

_YEAR_MONTH = re.compile(r"\d{4}-\d{2}")
# Grouping commas are read too: an email queued before amounts were plain data has them.
_MONEY = re.compile(r"(-?[\d,]+(?:\.\d+)?) ([A-Z]{3})")


def as_date(value):
    """An ISO 8601 string (a date, a date and time, or a year and month) as a date; other
    values as they are."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if _YEAR_MONTH.fullmatch(text):
        return dt.date.fromisoformat(text + "-01")
    return parse_datetime(text) or parse_date(text) or value


def date(value, arg=None):
    """Django's `date` filter, for date objects and the ISO strings of a JSON context; any
    other text is shown as it is (an email queued with a date its sender wrote out)."""
    moment = as_date(value)
    if isinstance(moment, str):
        return moment
    return django_date(moment, arg)


def money(value) -> str:
    """`"49.00 USD"` with the amount in the active language's number format."""
    match = _MONEY.fullmatch(str(value).strip())
    if match is None:
        raise ValueError(f"{str(value)[:30]!r} is not an amount and a currency code (49.00 USD)")
    amount, code = Decimal(match.group(1).replace(",", "")), match.group(2)
    number = formats.number_format(amount, 2, use_l10n=True, force_grouping=True)
    return f"{number} {code}"


FILTERS = {"date": date, "money": money}
