"""Users, roles and the hash-chained audit log.

- :mod:`~khazar.audit.roles`: :class:`Role`, :class:`Action`, the :data:`PERMISSIONS`
  table and :func:`require`.
- :mod:`~khazar.audit.chain`: the pure hash chain and :func:`verify_chain`.

The store adapter (:func:`~khazar.store.audit.audited`, the head file, ``verify_store``) is
in :mod:`khazar.store.audit`; users as a use case in :mod:`khazar.services.users`.
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
from khazar.audit.passwords import MIN_PASSWORD_LENGTH, check_password_policy
from khazar.audit.roles import PERMISSIONS, Action, Role, can, parse_role, require, roles_allowed

__all__ = [
    "GENESIS_HASH",
    "MIN_PASSWORD_LENGTH",
    "PERMISSIONS",
    "Action",
    "AuditEntry",
    "ChainReport",
    "HeadRecord",
    "Problem",
    "ProblemKind",
    "Role",
    "can",
    "check_password_policy",
    "parse_role",
    "require",
    "roles_allowed",
    "verify_chain",
]
