"""Password policy and argon2id hashing (argon2-cffi). Only hashes are ever stored.

The hasher's parameters are argon2-cffi's defaults (RFC 9106 low-memory profile:
argon2id, t=3, m=64 MiB, p=4, about 0.4 s per hash on a shared 2-core machine).
A stored hash made with other parameters is re-hashed at the next successful login.
"""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from khazar.errors import InputError

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "check_password_policy",
    "default_hasher",
    "hash_password",
    "needs_rehash",
    "verify_password",
    "waste_verify",
]

#: shortest accepted password, in characters (a passphrase of a few words passes)
MIN_PASSWORD_LENGTH = 12
#: longest accepted password, in characters (bounds the work an attacker can ask for)
MAX_PASSWORD_LENGTH = 1024


@functools.cache
def default_hasher() -> PasswordHasher:
    """The process-wide argon2id hasher with argon2-cffi's default parameters."""
    return PasswordHasher()


def check_password_policy(password: str, username: str) -> None:
    """Raise :class:`InputError` (never quoting the password) unless it is acceptable."""
    length = len(password)
    if length < MIN_PASSWORD_LENGTH:
        raise InputError(
            f"password for {username!r} has {length} characters; at least "
            f"{MIN_PASSWORD_LENGTH} are needed (a few words make a good passphrase)"
        )
    if length > MAX_PASSWORD_LENGTH:
        raise InputError(
            f"password for {username!r} has {length} characters; at most "
            f"{MAX_PASSWORD_LENGTH} are accepted"
        )
    if not password.strip():
        raise InputError(f"password for {username!r} is only white space; choose a real one")
    if password.strip().lower() == username.lower():
        raise InputError(f"password for {username!r} is the user name; choose another one")


def hash_password(password: str, hasher: PasswordHasher | None = None) -> str:
    """The argon2id hash string (with its salt and parameters) of ``password``."""
    return (hasher or default_hasher()).hash(password)


def verify_password(stored_hash: str, password: str, hasher: PasswordHasher | None = None) -> bool:
    """Whether ``password`` matches ``stored_hash``; a corrupt hash never matches."""
    try:
        return (hasher or default_hasher()).verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str, hasher: PasswordHasher | None = None) -> bool:
    """Whether ``stored_hash`` was made with parameters other than the hasher's."""
    try:
        return (hasher or default_hasher()).check_needs_rehash(stored_hash)
    except (InvalidHashError, ValueError):
        return True


@functools.cache
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    return hasher.hash("khazar: no such user")


def waste_verify(password: str, hasher: PasswordHasher | None = None) -> None:
    """Spend the time of one verification, so unknown users fail as slowly as known ones."""
    h = hasher or default_hasher()
    verify_password(_dummy_hash(h.time_cost, h.memory_cost, h.parallelism), password, h)
