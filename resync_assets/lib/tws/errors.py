"""Errors raised by the TWS client.

Every error names the endpoint as ``METHOD path`` (never the query string, never a header) and, for
HTTP errors, the status and the message TWS returned. Credentials never appear in any of them: the
client redacts its own secrets from server messages before building an error.
"""

from __future__ import annotations


class TwsError(Exception):
    """Base class of every error the TWS client raises."""

    def __init__(self, message: str, *, endpoint: str | None = None) -> None:
        super().__init__(message)
        self.endpoint = endpoint

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __reduce__(self):
        # Keeps the attributes when the error crosses a process boundary (pickling).
        return _rebuild, (type(self), str(self), dict(self.__dict__))


def _rebuild(cls: type, message: str, state: dict) -> TwsError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class TwsApiError(TwsError):
    """TWS answered with an HTTP error status (after any retries the status allows)."""

    def __init__(
        self,
        message: str,
        *,
        endpoint: str | None = None,
        status: int | None = None,
        tws_message: str | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint)
        self.status = status
        self.tws_message = tws_message


class TwsAuthError(TwsApiError):
    """TWS rejected the credentials (401) or the user lacks the right (403). Never retried."""


class TwsNotFoundError(TwsApiError):
    """The object (job, run, joblog) does not exist in that plan (404). Never retried."""


class TwsTimeoutError(TwsError):
    """The request timed out on every attempt of the retry budget."""


class TwsConnectionError(TwsError):
    """The connection could not be made or was lost on every attempt of the retry budget."""


class TwsProtocolError(TwsError):
    """The answer could not be used: malformed or truncated JSON, or an unexpected shape."""


class TwsCircuitOpenError(TwsError):
    """The circuit breaker is open after repeated failures: the call was not sent."""
