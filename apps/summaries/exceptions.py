class SummariesError(Exception):
    """Base class of the summaries app's errors."""


class UploadRejectedError(SummariesError, ValueError):
    """An uploaded file is too large or of a type we do not accept."""
