"""The one domain error type: mapped to HTTP 400 by the API and to form errors on pages."""

from collections.abc import Mapping

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


class ApplicationError(Exception):
    """A rule of the domain was broken. `errors` maps field names to messages."""

    def __init__(self, message: str, *, errors: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in (errors or {}).items()}

    @classmethod
    def from_validation_error(cls, exc: ValidationError) -> "ApplicationError":
        if hasattr(exc, "error_dict"):
            errors = {
                ("non_field_errors" if field == NON_FIELD_ERRORS else field): messages
                for field, messages in exc.message_dict.items()
            }
        else:
            errors = {"non_field_errors": exc.messages}
        return cls("The record is not valid.", errors=errors)

    def __str__(self) -> str:
        if not self.errors:
            return self.message
        details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in self.errors.items())
        return f"{self.message} {details}"


class RecordChanged(Exception):
    """The record changed since the version the user read: their act would apply to what they
    have not seen (the API answers 412)."""
