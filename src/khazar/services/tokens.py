"""API tokens an admin issues for scripts and services: ``khz_<id>_<secret>``.

A token acts as its user (role and disabled flag are the user's at each use); only the
secret's SHA-256 is stored, the token itself is shown once. Issuing and revoking are
audited (``users.token.issue``, ``users.token.revoke``, target the user name, detail the
token's id). An unknown id, a wrong secret and a revoked token fail alike.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime

from khazar.errors import AuthenticationError, NotFoundError
from khazar.services.users import User, get_user, normalise_username
from khazar.store import Store
from khazar.store import tokens as repo
from khazar.store.audit import audited

__all__ = ["PREFIX", "authenticate_token", "issue_token", "list_tokens", "revoke_token"]

PREFIX = "khz_"
_TOKEN = re.compile(r"^khz_(?P<id>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{32,64})$")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def issue_token(store: Store, username: str, *, actor: str) -> tuple[repo.StoredToken, str]:
    """A new token for ``username`` (an existing user): its row and the token text, which
    is not kept anywhere and must be handed over now."""
    name = normalise_username(username)
    if get_user(store, name) is None:
        raise NotFoundError(f"no user {name!r}; see `khazar users list`")
    token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    row = repo.StoredToken(token_id, name, _digest(secret), datetime.now(UTC), actor, None)
    with audited(store) as tx:
        repo.insert_token(tx, row)
        tx.append(actor, "users.token.issue", target=name, detail={"id": token_id})
    return row, f"{PREFIX}{token_id}_{secret}"


def revoke_token(store: Store, token_id: str, *, actor: str) -> repo.StoredToken:
    """Revoke the token ``token_id`` (its id as `khazar users tokens list` shows it)."""
    row = repo.select_token(store, token_id.strip().lower())
    if row is None or row.revoked_at is not None:
        raise NotFoundError(f"no open token {token_id!r}; see `khazar users tokens list`")
    with audited(store) as tx:
        repo.revoke_token(tx, row.id, datetime.now(UTC))
        tx.append(actor, "users.token.revoke", target=row.username, detail={"id": row.id})
    revoked = repo.select_token(store, row.id)
    assert revoked is not None
    return revoked


def list_tokens(store: Store) -> list[repo.StoredToken]:
    return repo.select_tokens(store)


def authenticate_token(store: Store, token: str) -> User:
    """The user the token ``token`` acts as, or :class:`AuthenticationError` (unknown,
    wrong, revoked; a disabled user is refused too)."""
    failure = AuthenticationError("token refused: unknown, wrong or revoked; ask an admin "
                                  "for a new one (`khazar users tokens issue NAME`)")
    match = _TOKEN.match(token.strip())
    if match is None:
        raise failure
    row = repo.select_token(store, match.group("id"))
    if row is None or row.revoked_at is not None:
        raise failure
    if not hmac.compare_digest(row.secret_hash, _digest(match.group("secret"))):
        raise failure
    user = get_user(store, row.username)
    if user is None:
        raise failure
    if user.disabled:
        raise AuthenticationError(f"user {user.username!r} is disabled; its tokens are "
                                  f"refused (ask an administrator)")
    return user
