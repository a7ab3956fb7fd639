"""Who is calling: the access token and ``appsecret_proof`` checks every Graph route shares.

``FIDELITY.md`` F-40 (where the token may travel, the proof) and F-25 (the 190 family of errors).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
import hashlib
import hmac

from .errors import GraphError, fail
from .graph_request import Call, Caller, www_authenticate
from .state import PAGE, SimToken
from .world import World

PACIFIC = timezone(timedelta(hours=-7), "PDT")
EXPIRY_STAMP = "%A, %d-%b-%y %H:%M:%S %Z"


def appsecret_proof(app_secret: str, token: str) -> str:
    """hex HMAC-SHA256(key=app_secret, msg=token), as Meta computes it (FIDELITY F-40)."""
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def token_missing() -> GraphError:
    """2500 with Meta's ``WWW-Authenticate`` header."""
    err = fail("token_missing")
    err.headers = www_authenticate("invalid_request", err.message)
    return err


def token_invalid() -> GraphError:
    """190 "Cannot parse access token" with Meta's ``WWW-Authenticate`` header."""
    err = fail("token_invalid")
    err.headers = www_authenticate("invalid_token", err.message)
    return err


def token_expired(now: float, expired_at: float | None = None) -> GraphError:
    """190/463, naming when the session ended and the current time (Pacific, as Meta does)."""
    current = datetime.fromtimestamp(now, tz=PACIFIC)
    ended = current - timedelta(hours=1)
    if expired_at is not None:
        ended = datetime.fromtimestamp(expired_at, tz=PACIFIC)
    return fail(
        "token_expired",
        expired=ended.strftime(EXPIRY_STAMP),
        now=current.strftime(EXPIRY_STAMP),
    )


def check_proof(call: Call, secret: str | None, *, required: bool) -> None:
    """Check ``appsecret_proof`` when given (and the app has a secret), or when required."""
    if call.proof is not None and secret and call.token:
        expected = appsecret_proof(secret, call.token)
        if not hmac.compare_digest(expected, call.proof.lower()):
            raise fail("proof_invalid")
    elif call.proof is None and required:
        raise fail("proof_required")


def check_token(world: World, record: SimToken) -> None:
    """190 for an expired (463) or invalidated (460) token."""
    status = world.state.token_status(record)
    if status == "expired":
        raise token_expired(world.now(), record.expires_at or None)
    if status == "invalidated":
        raise fail("token_invalidated")


def authenticate(world: World, call: Call) -> Caller:
    """The page or person whose valid token this is, or the error Meta answers."""
    if not call.token:
        raise token_missing()
    state = world.state
    record = state.tokens.get(call.token)
    if record is None:
        raise token_invalid()
    check_token(world, record)
    if record.kind == PAGE:
        page = state.pages.get(record.owner)
        if page is None:
            raise token_invalid()
        check_proof(call, page.app_secret, required=page.require_appsecret_proof)
        return Caller(record, page=page)
    admin = state.admins.get(record.owner)
    if admin is None:
        raise token_invalid()
    check_proof(call, state.app_secret(record.app_id), required=False)
    return Caller(record, admin=admin)
