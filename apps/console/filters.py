"""List filters shared by the console's admins."""

from django.core.validators import EMPTY_VALUES
from django.utils import timezone
from unfold.contrib.filters.admin import RangeDateTimeFilter
from unfold.utils import parse_datetime_str


class AwareRangeDateTimeFilter(RangeDateTimeFilter):
    """unfold's date-and-time range, read in the site's time zone.

    unfold compares the column with naive datetimes, which Django warns about on every request
    (and the dashboard links every figure to such a range).
    """

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
                moment = timezone.make_aware(moment)
            bounds[f"{self.parameter_name}__{lookup}"] = moment
        return queryset.filter(**bounds)
