"""What a vessel's numbers say in words: the flag state of an MMSI's MID (Maritime
Identification Digits, ITU-R M.585) and the text of an AIS ship-type code (ITU-R M.1371).

The MID table covers the Caspian states, their neighbours and the common open registers; a
MID it does not hold gives no flag (``None``), never a guess.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["MID_FLAGS", "flag_of", "mid_of", "mmsi_kind", "mmsi_valid", "mmsi_valid_array",
           "ship_type_text"]


def _many(mids: range | tuple[int, ...], name: str) -> dict[int, str]:
    return dict.fromkeys(mids, name)


#: MID → flag state (English short name)
MID_FLAGS: dict[int, str] = {
    # the Caspian states
    273: "Russia", 422: "Iran", 423: "Azerbaijan", 434: "Turkmenistan", 436: "Kazakhstan",
    # neighbours and the region
    213: "Georgia", 216: "Armenia", 271: "Turkey", 272: "Ukraine", 206: "Belarus",
    214: "Moldova", 437: "Uzbekistan", 451: "Kyrgyzstan", 472: "Tajikistan",
    401: "Afghanistan", 425: "Iraq", 468: "Syria", 403: "Saudi Arabia", 447: "Kuwait",
    408: "Bahrain", 466: "Qatar", 461: "Oman", 463: "Pakistan", 419: "India",
    428: "Israel", 438: "Jordan", 450: "Lebanon", 622: "Egypt",
    **_many((470, 471), "United Arab Emirates"),
    **_many(range(412, 415), "China"),
    # Europe
    205: "Belgium", 207: "Bulgaria", 211: "Germany", 218: "Germany",
    **_many((209, 210, 212), "Cyprus"),
    **_many((215, 229, 248, 249, 256), "Malta"),
    **_many((219, 220), "Denmark"), **_many((224, 225), "Spain"),
    **_many(range(226, 229), "France"), 230: "Finland", **_many(range(232, 236), "United Kingdom"),
    **_many((237, 239, 240, 241), "Greece"), 238: "Croatia", 244: "Netherlands",
    245: "Netherlands", 246: "Netherlands", 247: "Italy", 250: "Ireland",
    **_many(range(257, 260), "Norway"), 261: "Poland", 263: "Portugal", 264: "Romania",
    265: "Sweden", 266: "Sweden", 269: "Switzerland", 275: "Latvia", 276: "Estonia",
    277: "Lithuania",
    # open registers
    **_many((351, 352, 353, 354, 355, 356, 357, 370, 371, 372, 373), "Panama"),
    **_many((636, 637), "Liberia"), 538: "Marshall Islands",
    **_many((308, 309, 311), "Bahamas"),
    **_many(range(375, 378), "Saint Vincent and the Grenadines"),
    **_many(range(563, 567), "Singapore"), 477: "Hong Kong",
    518: "Cook Islands", 620: "Comoros", 667: "Sierra Leone", 312: "Belize",
    341: "Saint Kitts and Nevis", 577: "Vanuatu", 511: "Palau", 572: "Tuvalu", 671: "Togo",
    **_many((338, 366, 367, 368, 369), "United States"), 316: "Canada",
}


def mid_of(mmsi: int) -> int | None:
    """The MID of a ship station's 9-digit MMSI (its first three digits), else None."""
    return mmsi // 1_000_000 if 100_000_000 <= mmsi <= 999_999_999 else None


#: the MIDs ITU-R M.585 allocates to countries lie in 201–775 (Europe 2xx … South America 7xx)
MID_MIN, MID_MAX = 201, 775


def _country_mid(mid: int) -> bool:
    return MID_MIN <= mid <= MID_MAX


def mmsi_kind(mmsi: int) -> str | None:
    """What kind of station an MMSI names (ITU-R M.585), or None when it is no valid MMSI.

    Forms (as 9 digits, M = a country's MID 201–775, X = any digit): ``MMMXXXXXX`` ship,
    ``0MMMXXXXX`` group of ships, ``00MMMXXXX`` coast station (base stations), ``111MMMXXX``
    SAR aircraft, ``98MMMXXXX`` craft associated with a parent ship, ``99MMMXXXX`` aid to
    navigation, ``970XXYYYY`` AIS-SART, ``972XXYYYY`` man overboard, ``974XXYYYY`` EPIRB-AIS.
    Anything else — 0, 123456789, 111111111, a MID outside 201–775 — is invalid. A MID
    inside the range that no country holds yet is not detected (no full ITU table here)."""
    if not 0 < mmsi <= 999_999_999:
        return None
    d = f"{mmsi:09d}"
    if d[0] in "234567":
        return "ship" if _country_mid(int(d[:3])) else None
    if d[:2] == "00":
        return "coast_station" if _country_mid(int(d[2:5])) else None
    if d[0] == "0":
        return "group" if _country_mid(int(d[1:4])) else None
    if d[:3] == "111":
        return "sar_aircraft" if _country_mid(int(d[3:6])) else None
    if d[:2] == "98":
        return "craft" if _country_mid(int(d[2:5])) else None
    if d[:2] == "99":
        return "aid_to_navigation" if _country_mid(int(d[2:5])) else None
    return {"970": "sart", "972": "man_overboard", "974": "epirb"}.get(d[:3])


def mmsi_valid(mmsi: int) -> bool:
    """True for a well-formed MMSI of any station kind (see :func:`mmsi_kind`)."""
    return mmsi_kind(mmsi) is not None


def mmsi_valid_array(mmsi: npt.NDArray[np.integer]) -> npt.NDArray[np.bool_]:
    """:func:`mmsi_valid` of many MMSIs at once (ingest flags each batch with it)."""
    m = np.asarray(mmsi, dtype=np.int64)

    def country(mid: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        return np.asarray((mid >= MID_MIN) & (mid <= MID_MAX))

    first = m // 100_000_000
    ship = (first >= 2) & (first <= 7) & country(m // 1_000_000)
    coast = (m < 10_000_000) & country(m // 10_000)
    group = (m >= 10_000_000) & (m < 100_000_000) & country(m // 100_000)
    tail = m // 1_000_000
    sar = (tail == 111) & country(m // 1000 % 1000)
    craft_aton = ((m // 10_000_000 == 98) | (m // 10_000_000 == 99)) & country(m // 10_000 % 1000)
    sart = (tail == 970) | (tail == 972) | (tail == 974)
    ok = (m > 0) & (m <= 999_999_999) & (ship | coast | group | sar | craft_aton | sart)
    return np.asarray(ok)


def flag_of(mmsi: int | None) -> str | None:
    """The flag state an MMSI's MID names, or None when the MID is unknown (or there is no
    MMSI)."""
    if mmsi is None:
        return None
    mid = mid_of(mmsi)
    return MID_FLAGS.get(mid) if mid is not None else None


_EXACT = {
    30: "fishing", 31: "towing", 32: "towing (large)", 33: "dredging or underwater ops",
    34: "diving ops", 35: "military ops", 36: "sailing", 37: "pleasure craft",
    50: "pilot vessel", 51: "search and rescue", 52: "tug", 53: "port tender",
    54: "anti-pollution", 55: "law enforcement", 58: "medical transport",
    59: "non-combatant (RR Res. 18)",
}
_DECADES = {2: "wing in ground", 4: "high-speed craft", 6: "passenger", 7: "cargo",
            8: "tanker", 9: "other type"}


def ship_type_text(code: int | None) -> str | None:
    """The words for an AIS ship-type code (e.g. 80 → "tanker"); None when not given (0 or
    none), "reserved" for the codes the standard keeps back."""
    if code is None or code <= 0:
        return None
    if code in _EXACT:
        return _EXACT[code]
    if 20 <= code <= 99 and code // 10 in _DECADES:
        return _DECADES[code // 10]
    return "reserved"
