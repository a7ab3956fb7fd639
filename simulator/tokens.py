"""The token registry: every token the simulator issued, who it belongs to and until when.

Page tokens come from ``add_page`` (the page's own, valid until its ``token_state`` says
otherwise) or from ``/me/accounts`` (made from a user token); user tokens from
``issue_user_token`` and the ``fb_exchange_token`` grant. Lifetimes: ``FIDELITY.md`` F-41.
"""

from __future__ import annotations

from collections.abc import Iterable
import secrets

from .state import (
    LONG_LIVED_SECONDS,
    PAGE,
    SHORT_LIVED_SECONDS,
    USER,
    SimAdmin,
    SimPage,
    SimToken,
    State,
)

PAGE_TASKS = ("MANAGE", "CREATE_CONTENT", "MODERATE", "MESSAGING", "ADVERTISE", "ANALYZE")


def new_token_value() -> str:
    """A token that looks like Meta's (``EAA`` and a long random tail)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "EAA" + "".join(secrets.choice(alphabet) for _ in range(180))


def register_page(state: State, page: SimPage, previous: SimPage | None) -> None:
    """Register a page's own token (dropping the one it replaced); the first page keeps a token
    two pages share, as before the registry existed."""
    if previous is not None and previous.token != page.token:
        old = state.tokens.get(previous.token)
        if old is not None and old.primary and old.owner == page.page_id:
            del state.tokens[previous.token]
    current = state.tokens.get(page.token)
    if current is not None and current.owner != page.page_id and current.owner in state.pages:
        return
    state.tokens[page.token] = SimToken(
        token=page.token,
        kind=PAGE,
        app_id=page.app_id,
        owner=page.page_id,
        scopes=tuple(page.scopes),
        issued_at=state.now(),
        primary=True,
    )


def issue_user_token(
    state: State,
    admin: SimAdmin,
    app_id: str,
    scopes: Iterable[str],
    *,
    long_lived: bool,
    value: str | None = None,
    lifetime: float | None = None,
) -> SimToken:
    """A new user token of ``admin`` for ``app_id``: 1 hour, or about 60 days when long-lived."""
    now = state.now()
    seconds = lifetime or (LONG_LIVED_SECONDS if long_lived else SHORT_LIVED_SECONDS)
    record = SimToken(
        token=value or new_token_value(),
        kind=USER,
        app_id=app_id,
        owner=admin.user_id,
        scopes=tuple(scopes),
        issued_at=now,
        expires_at=now + seconds,
        long_lived=long_lived,
    )
    state.tokens[record.token] = record
    return record


def page_token_from(state: State, user_token: SimToken, page: SimPage) -> SimToken:
    """The page token a user token hands out for ``page`` (the same one on every call).

    It inherits the user token's scopes; made from a long-lived user token it never expires,
    from a short-lived one it ends with it (FIDELITY F-41).
    """
    for record in state.tokens.values():
        if (
            record.kind == PAGE
            and record.source == user_token.token
            and record.owner == page.page_id
        ):
            return record
    record = SimToken(
        token=new_token_value(),
        kind=PAGE,
        app_id=user_token.app_id,
        owner=page.page_id,
        scopes=user_token.scopes,
        issued_at=state.now(),
        expires_at=0.0 if user_token.long_lived else user_token.expires_at,
        source=user_token.token,
        user_id=user_token.owner,
    )
    state.tokens[record.token] = record
    return record


def admin_of(state: State, page_id: str) -> SimAdmin | None:
    """The first admin of a page (the person behind its own token, for ``debug_token``)."""
    return next((a for a in state.admins.values() if page_id in a.pages), None)
