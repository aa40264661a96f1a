"""Commands of this group (placeholder until the owning package lands)."""

from __future__ import annotations
