"""Users, roles and the hash-chained audit log.

- :mod:`~khazar.audit.roles`: :class:`Role`, :class:`Action`, the :data:`PERMISSIONS`
  table and :func:`require`.
- :mod:`~khazar.audit.users`: users in the store, argon2id passwords, :func:`authenticate`.
- :mod:`~khazar.audit.chain`: the pure hash chain and :func:`verify_chain`.
- :mod:`~khazar.audit.log`: the store adapter, :func:`append` / :func:`audited`,
  the head file and :func:`verify_store`.
"""

from khazar.audit.chain import (
    GENESIS_HASH,
    AuditEntry,
    ChainReport,
    HeadRecord,
    Problem,
    ProblemKind,
    verify_chain,
)
from khazar.audit.log import (
    AuditTransaction,
    append,
    audited,
    list_entries,
    read_entries,
    read_head,
    verify_store,
)
from khazar.audit.passwords import MIN_PASSWORD_LENGTH, check_password_policy
from khazar.audit.roles import PERMISSIONS, Action, Role, can, parse_role, require, roles_allowed
from khazar.audit.users import (
    User,
    add_user,
    authenticate,
    disable_user,
    enable_user,
    get_user,
    list_users,
    set_password,
    set_role,
)

__all__ = [
    "GENESIS_HASH",
    "MIN_PASSWORD_LENGTH",
    "PERMISSIONS",
    "Action",
    "AuditEntry",
    "AuditTransaction",
    "ChainReport",
    "HeadRecord",
    "Problem",
    "ProblemKind",
    "Role",
    "User",
    "add_user",
    "append",
    "audited",
    "authenticate",
    "can",
    "check_password_policy",
    "disable_user",
    "enable_user",
    "get_user",
    "list_entries",
    "list_users",
    "parse_role",
    "read_entries",
    "read_head",
    "require",
    "roles_allowed",
    "set_password",
    "set_role",
    "verify_chain",
    "verify_store",
]
