class BillingError(Exception):
    """Base class of the billing app's errors."""


class InvoiceStateError(BillingError, ValueError):
    """The invoice is not in a state that allows this change."""


class NoPlanError(BillingError, LookupError):
    """The organization has no live subscription, so it has no quota."""


class QuotaExceededError(BillingError, PermissionError):
    """The organization has not enough characters left this month: nothing was counted.

    Carries what an API answer needs: what was asked, what is left, the limit and the month.
    """

    def __init__(
        self, message: str, *, requested: int, remaining: int, limit: int, month: str
    ) -> None:
        super().__init__(message)
        self.requested, self.remaining, self.limit, self.month = requested, remaining, limit, month


class WebhookError(BillingError, ValueError):
    """A payment webhook was refused (bad signature, malformed body): answered with a 4xx."""

    status = 400
