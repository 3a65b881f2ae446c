class BillingError(Exception):
    """Base class of the billing app's errors."""


class InvoiceStateError(BillingError, ValueError):
    """The invoice is not in a state that allows this change."""


class NoPlanError(BillingError, LookupError):
    """The organization has no live subscription, so it has no quota."""


class QuotaExceededError(BillingError):
    """The organization has not enough characters left this month."""
