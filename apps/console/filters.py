"""List filters shared by the console's admins."""

from django.core.validators import EMPTY_VALUES
from django.utils import timezone
from unfold.contrib.filters.admin import RangeDateTimeFilter
from unfold.utils import parse_datetime_str


class AwareRangeDateTimeFilter(RangeDateTimeFilter):
    """unfold's date-and-time range, read in the operator's time zone, or in the zone the link
    names (`<field>_zone=UTC`: an alert emailed to everyone says which hour it means).

    unfold compares the column with naive datetimes, which Django warns about on every request
    (and the dashboard links every figure to such a range).
    """

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        zone = f"{self.parameter_name}_zone"
        if zone in params:  # unfold takes its four parameters the same way
            value = params.pop(zone)
            self.used_parameters[zone] = value[-1] if isinstance(value, list) else value

    def expected_parameters(self):
        return [*super().expected_parameters(), f"{self.parameter_name}_zone"]

    def queryset(self, request, queryset):
        bounds = {}
        for end, lookup in (("from", "gte"), ("to", "lte")):
            day = self.used_parameters.get(f"{self.parameter_name}_{end}_0")
            time = self.used_parameters.get(f"{self.parameter_name}_{end}_1")
            if day in EMPTY_VALUES or time in EMPTY_VALUES:
                continue
            moment = parse_datetime_str(f"{day} {time}")
            if moment is None:
                return None  # unreadable: the list ignores the range
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment, self._zone())
            bounds[f"{self.parameter_name}__{lookup}"] = moment
        return queryset.filter(**bounds)

    def _zone(self):
        """The zone the link names, if it names one; else the operator's (the active one)."""
        from .timezones import zone_of

        named = self.used_parameters.get(f"{self.parameter_name}_zone") or ""
        return zone_of(named) or timezone.get_current_timezone()
