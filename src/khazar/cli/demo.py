"""`khazar demo`: the main job (grows with each capability)."""

from __future__ import annotations
