"""Errors a use case reports; the API turns each into a JSON body with its status."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A refusal with a stable machine code, a message for people and an HTTP status."""

    def __init__(
        self, code: str, message: str, status: int = 400, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = details or {}


def not_found(what: str) -> ServiceError:
    """A referenced thing does not exist (or is not visible to the caller)."""
    return ServiceError("not_found", f"{what} not found", 404)


def forbidden(message: str = "not allowed") -> ServiceError:
    """The caller is known but may not do this."""
    return ServiceError("forbidden", message, 403)


def conflict(code: str, message: str, **details: Any) -> ServiceError:
    """The request is valid but the current state does not allow it."""
    return ServiceError(code, message, 409, details)


def invalid(code: str, message: str, **details: Any) -> ServiceError:
    """The request itself is wrong."""
    return ServiceError(code, message, 422, details)
