class AccountsError(Exception):
    """Base class of the accounts app's errors."""


class EmailTakenError(AccountsError, ValueError):
    """Somebody already signed up with that address."""


class VerificationError(AccountsError, ValueError):
    """A verification link that does not match the account (any more)."""


class QueueUnavailableError(AccountsError, ConnectionError):
    """The task queue did not take a request (signup, password reset): nothing was done."""
