"""The other packages the API shows, found at run time.

Each capability (geography, energy, alerts life cycle, patrol plans, dispatch, live
detection) lives in its own package. When one is missing or fails to load, the API says
so (``/api/status`` and a 503 naming it) and the console shows it as unavailable rather
than inventing data.
"""

from __future__ import annotations

import importlib
from typing import Any

from khazar.errors import Unavailable
from khazar.live.state import ServerState

__all__ = ["geography", "optional", "place_names", "require_service"]


def optional(module: str, name: str) -> Any | None:
    """``module.name`` if it can be imported, else None."""
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    return getattr(mod, name, None)


def require_service(module: str, name: str, what: str) -> Any:
    """``module.name`` or :class:`Unavailable` naming the capability."""
    found = optional(module, name)
    if found is None:
        raise Unavailable(
            f"{what} is not available in this build ({module}.{name} is missing); "
            f"the rest of the console works without it"
        )
    return found


def geography(state: ServerState) -> Any:
    """The geography (water router, zones, assets) of this server, loaded once: the use
    cases take it (or its router) as a parameter."""
    with state.cache_lock:
        geo = state.cache.get("geo")
        if geo is None:
            load = require_service("khazar.geo", "load_geography", "geography (khazar.geo)")
            geo = load(state.settings)
            state.cache["geo"] = geo
    return geo


def place_names(state: ServerState) -> Any:
    """The names of the assets and zones (:class:`khazar.services.triage.PlaceNames`), for
    alert titles; empty (ids stand in) when the geography is not available."""
    from khazar.services.triage import PlaceNames
    from khazar.services.triage import place_names as names_of

    with state.cache_lock:
        names = state.cache.get("place_names")
    if names is None:
        try:
            names = names_of(geography(state))
        except Unavailable:
            return PlaceNames()
        with state.cache_lock:
            state.cache["place_names"] = names
    return names
