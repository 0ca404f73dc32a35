"""Dates known to the day, the month or the year (core.models.DatePrecision).

An old register may give only the year of an accident. Such a record stores the first day of
its period (1 January, or the 1st of the month) with its `date_precision`, and everything that
compares or groups dates reads the whole period: "not in the future" means the period has
begun, a monthly figure leaves a year-precise record out of every month
(`month_expression`), and the duplicate finder measures the gap between two periods
(`PeriodStart`, `PeriodEnd`) rather than between two invented days.
"""

import calendar
import datetime

from django.db.models import CharField, DateField, F, Func, Value
from django.db.models.expressions import Case, When

from core.models import DatePrecision
from core.validation import Problems, check_not_future

PRECISION_FIELD = "date_precision"


def period_start(value: datetime.date, precision: str) -> datetime.date:
    """The first day of the period `value` lies in: the day itself, the 1st of its month, or
    1 January of its year."""
    if precision == DatePrecision.YEAR:
        return value.replace(month=1, day=1)
    if precision == DatePrecision.MONTH:
        return value.replace(day=1)
    return value


def period_end(value: datetime.date, precision: str) -> datetime.date:
    """The last day of the period `value` lies in."""
    if precision == DatePrecision.YEAR:
        return value.replace(month=12, day=31)
    if precision == DatePrecision.MONTH:
        return value.replace(day=calendar.monthrange(value.year, value.month)[1])
    return value


def check_event_date(record, field: str, problems: Problems, *, precision_field: str = PRECISION_FIELD) -> None:
    """A record's main event date, read with its precision.

    Nothing is refused for being more exact than its precision: a year-precise date sent as
    2003-07-14 is stored as 2003-01-01 (a month-precise one as 2003-07-01), so that one year or
    one month has one stored value. The date is then plausible (core.validation.check_not_future)
    from its first day: a record known only by the year 2026 is accepted during 2026.
    """
    value, precision = getattr(record, field), getattr(record, precision_field)
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        value = period_start(value, precision)
        setattr(record, field, value)
    check_not_future(value, field, problems)


# --- SQL -------------------------------------------------------------------------------------


class _Period(Func):
    """A date column (or value) and its precision, turned into one bound of the period."""

    output_field = DateField()
    bound = ""

    def __init__(self, date, precision):
        super().__init__(date, precision)

    def as_sql(self, compiler, connection, **extra_context):
        date_sql, date_params = compiler.compile(self.source_expressions[0])
        precision_sql, precision_params = compiler.compile(self.source_expressions[1])
        parts, params = [f"CASE {precision_sql}"], [*precision_params]
        for unit in (DatePrecision.YEAR, DatePrecision.MONTH):
            # The unit is one of two constants of this module, never input.
            end = f" + interval '1 {unit.value}' - interval '1 day'" if self.bound == "end" else ""
            # Truncated as a timestamp without time zone: the same day whatever the session's zone.
            parts.append(f" WHEN '{unit.value}' THEN (date_trunc('{unit.value}', ({date_sql})::timestamp){end})::date")
            params += date_params
        parts.append(f" ELSE {date_sql} END")
        params += date_params
        return "(" + "".join(parts) + ")", params


class PeriodStart(_Period):
    """The first day of a record's period, in SQL."""

    bound = "start"


class PeriodEnd(_Period):
    """The last day of a record's period, in SQL: 31 December of a year-precise record."""

    bound = "end"


def month_expression(date_field: str, precision_field: str) -> Case:
    """The month of `date_field` as "YYYY-MM", or NULL when `precision_field` says only the year
    is known: statistics by month put such a record in no month, never in January. A
    month-precise record has its month.

    `month_expression("incident__incident_date", "incident__date_precision")` groups casualties.
    """
    return Case(
        When(
            **{f"{precision_field}__in": (DatePrecision.DAY, DatePrecision.MONTH)},
            then=Func(F(date_field), Value("YYYY-MM"), function="to_char", output_field=CharField()),
        ),
        default=Value(None, output_field=CharField()),
        output_field=CharField(),
    )


def period_label(value: datetime.date, precision: str) -> str:
    """The period as a reader writes it: 2003, 2003-07 or 2003-07-14."""
    if precision == DatePrecision.YEAR:
        return f"{value.year:04d}"
    if precision == DatePrecision.MONTH:
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()
