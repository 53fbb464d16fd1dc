"""Typed domain errors. Each has a stable code; GraphQL turns them into `userErrors`."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    FORBIDDEN = "FORBIDDEN"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    INVALID_ID = "INVALID_ID"
    INVALID_CHECK_DIGIT = "INVALID_CHECK_DIGIT"
    UNKNOWN_PREFECTURE = "UNKNOWN_PREFECTURE"
    DUPLICATE = "DUPLICATE"
    LAST_OWNER = "LAST_OWNER"
    ORGANIZATION_UNVERIFIED = "ORGANIZATION_UNVERIFIED"
    CONFIRMATION_REQUIRED = "CONFIRMATION_REQUIRED"
    INVALID_TRANSITION = "INVALID_TRANSITION"


class DomainError(Exception):
    """A problem with what the caller asked for, safe to show them."""

    code: ErrorCode = ErrorCode.INVALID

    def __init__(self, message: str, *, field: str | None = None, code: ErrorCode | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class Invalid(DomainError):
    code = ErrorCode.INVALID


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND


class Conflict(DomainError):
    code = ErrorCode.CONFLICT


class Forbidden(DomainError):
    code = ErrorCode.FORBIDDEN


class Unauthenticated(DomainError):
    code = ErrorCode.UNAUTHENTICATED
