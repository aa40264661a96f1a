"""One vessel's fixes as arrays, the input of back-tracing and evidence packs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["VesselFixes"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class VesselFixes:
    """One vessel's fixes, sorted by time: epoch seconds, degrees, knots (NaN = unknown)."""

    mmsi: int
    t_s: FloatArray
    lat: FloatArray
    lon: FloatArray
    sog_kn: FloatArray
    status: npt.NDArray[np.int16]  # AIS navigational status, -1 = unknown
