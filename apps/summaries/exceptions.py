class SummariesError(Exception):
    """Base class of the summaries app's errors."""


class UploadRejectedError(SummariesError, ValueError):
    """An uploaded file is empty, too large, badly named or of a type we do not accept."""

    def __init__(self, message: str, *, code: str = "rejected"):
        super().__init__(message)
        self.code = code  # empty, too_large, unsupported_type, bad_name


class DocumentUnreadableError(SummariesError, ValueError):
    """A stored document whose text cannot be extracted (damaged, or no text in it)."""


class QueueUnavailableError(SummariesError):
    """The broker did not take a request's task: the request was failed and not charged."""

    retry_after = 30  # seconds a client should wait before sending it again
