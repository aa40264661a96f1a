"""Password policy and argon2id hashing (argon2-cffi). Only hashes are ever stored.

The hasher's parameters are argon2-cffi's defaults (RFC 9106 low-memory profile:
argon2id, t=3, m=64 MiB, p=4, about 0.4 s per hash on a shared 2-core machine).
A stored hash made with other parameters is re-hashed at the next successful login.
"""

from __future__ import annotations

import functools
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from khazar.audit.common_passwords import COMMON, KEYBOARD_RUNS
from khazar.errors import InputError

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_DISTINCT_CHARACTERS",
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
#: fewer different characters than this is a repetition ("aaaaaaaaaaaa", "abababab…")
MIN_DISTINCT_CHARACTERS = 5
#: common substitutions undone before the blocklist is consulted
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                       "@": "a", "$": "s", "!": "i", "|": "l"})
_EDGES = re.compile(r"^[^a-z]+|[^a-z]+$")
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
    if len(set(password.lower())) < MIN_DISTINCT_CHARACTERS:
        raise InputError(
            f"password for {username!r} uses fewer than {MIN_DISTINCT_CHARACTERS} different "
            f"characters; choose one that is not a repetition"
        )
    if _is_run(password.lower()):
        raise InputError(
            f"password for {username!r} is a run of the alphabet, digits or keyboard; "
            f"choose another one"
        )
    core = _core(password)
    if core in COMMON or core == username.lower() or _is_run(core):
        raise InputError(
            f"password for {username!r} is too common (a well-known password or the user "
            f"name with digits or symbols around it); a few unrelated words make a good one"
        )


def _core(password: str) -> str:
    """The password as a guesser's list would hold it: lower case, spaces gone, digits
    and symbols at the ends removed, substitutions undone, one word repeated collapsed."""
    text = "".join(password.lower().split())
    stripped = _EDGES.sub("", text)
    core = _EDGES.sub("", (stripped or text).translate(_LEET))
    for n in range(1, len(core) // 2 + 1):
        if len(core) % n == 0 and core[:n] * (len(core) // n) == core:
            return core[:n]
    return core


def _is_run(text: str) -> bool:
    """Whether ``text`` is a stretch of one of :data:`KEYBOARD_RUNS` (either direction)."""
    compact = "".join(text.split())
    return len(compact) >= 4 and any(
        compact in run or compact in run[::-1] for run in KEYBOARD_RUNS)


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
