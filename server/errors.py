"""Server errors, and the one place where they become HTTP statuses.

    CairnServerError                 every error a user or device can cause
    ├── DataDirError                 the data directory is missing, damaged or foreign
    ├── BadRequest          400      malformed input; `code` names the problem
    │   └── ValidationFailed 400     form values that do not fit the form
    ├── Unauthorized        401      no token, or a token we do not know
    ├── Forbidden           403      a known token without rights for this action
    ├── NotFound            404      no such thing (or it must not be seen to exist)
    ├── Conflict            409      the request clashes with what is stored
    ├── Gone                410      an enrollment code that expired or was used
    ├── PayloadTooLarge     413      a body over the configured limit
    ├── Unprocessable       422      a sealed batch we refuse (crypto, signer, routing)
    ├── TooManyRequests     429      too many wrong tokens from one address (Retry-After)
    └── StorageFull         507      the disk or database is full; nothing was stored

Crypto errors from `sync.errors` are mapped to `Unprocessable` with their own code by
`http_error`, so a device always learns exactly why its batch was refused.
"""

from __future__ import annotations

from typing import Any


class CairnServerError(Exception):
    """Base of every error the server reports to a user; `code` is stable and short."""

    status = 500
    code = "server_error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class DataDirError(CairnServerError):
    """The data directory cannot be used as it is."""

    code = "data_dir"


class BadRequest(CairnServerError):
    """Malformed input."""

    status = 400
    code = "bad_request"


class ValidationFailed(BadRequest):
    """Form values that do not fit their form."""

    code = "invalid_values"


class Unauthorized(CairnServerError):
    """Missing or unknown credentials."""

    status = 401
    code = "unauthorized"


class Forbidden(CairnServerError):
    """Known credentials without the right for this action."""

    status = 403
    code = "forbidden"


class NotFound(CairnServerError):
    """No such resource."""

    status = 404
    code = "not_found"


class Conflict(CairnServerError):
    """The request clashes with stored state."""

    status = 409
    code = "conflict"


class Gone(CairnServerError):
    """A one-time thing that was used up or expired."""

    status = 410
    code = "gone"


class PayloadTooLarge(CairnServerError):
    """A body over the configured size limit."""

    status = 413
    code = "too_large"


class Unprocessable(CairnServerError):
    """A well-formed request whose content we refuse (sealed batch checks)."""

    status = 422
    code = "refused"


class TooManyRequests(CairnServerError):
    """Too many failed token checks from one client address; `retry_after_s` says how long."""

    status = 429
    code = "too_many_failures"


class StorageFull(CairnServerError):
    """The database could not grow; nothing was stored."""

    status = 507
    code = "storage_full"
