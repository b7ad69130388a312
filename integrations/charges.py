"""Normalise free-text charges ("647(b) PC", "PC647B", "236.1(c)") to a code and a section.

Police agencies spell the same charge many ways. The warehouse keeps the agency's text and adds
``code`` (PC, HS, VC, WI, BP) and ``section`` ("647(b)", "653.22", "236.1(c)", "148(a)(1)").
"""

from __future__ import annotations

import re

# Statute codes as agencies write them -> canonical abbreviation.
_CODE_ALIASES = {
    "PC": "PC",
    "P.C.": "PC",
    "PENAL": "PC",
    "HS": "HS",
    "H&S": "HS",
    "H&SC": "HS",
    "HSC": "HS",
    "VC": "VC",
    "V.C.": "VC",
    "WI": "WI",
    "W&I": "WI",
    "WIC": "WI",
    "BP": "BP",
    "B&P": "BP",
}
_CODE_RE = re.compile(r"(?<![A-Z])(P\.C\.|V\.C\.|H&SC|H&S|W&I|B&P|PENAL|HSC|WIC|PC|HS|VC|WI|BP)(?![A-Z])")
# section number, optional decimal part, then subsections "(b)(1)" or a glued letter/digit "647B"
_SECTION_RE = re.compile(r"(\d{1,5}(?:\.\d{1,3})?)((?:\s*\(\s*[A-Z0-9]{1,3}\s*\))*)([A-Z](?![A-Z]))?")


def normalise_charge(text: str | None) -> tuple[str | None, str | None]:
    """``(code, section)`` for one charge; ``(None, None)`` when no section number is present.

    A bare section with no statute code is taken as Penal Code: police arrest logs omit "PC" far
    more often than any other code, and the sections that matter here (647(b), 653.22, 236.1) are PC.
    """
    if not text:
        return None, None
    t = text.upper().strip()
    # glued forms such as "PC647B" or "647BPC": split code letters from digits
    t = re.sub(r"(?<=[A-Z])(?=\d)", " ", t)
    t = re.sub(r"(?<=\d)(?=(?:PC|HS|VC|WI|BP)\b)", " ", t)
    code_match = _CODE_RE.search(t)
    code = _CODE_ALIASES[code_match.group(1)] if code_match else None
    rest = _CODE_RE.sub(" ", t) if code_match else t
    m = _SECTION_RE.search(rest)
    if not m:
        return code, None
    number, subs, glued = m.group(1), m.group(2), m.group(3)
    parts = re.findall(r"\(\s*([A-Z0-9]{1,3})\s*\)", subs or "")
    if glued:
        parts.insert(0, glued)
    section = number + "".join(f"({p.lower()})" for p in parts)
    return code or "PC", section


# a code word right before or after the section number ("MC 9.08", "9.08 OMC"); 2+ letters, so a
# glued subsection letter ("PC484A") is not taken for one
_CODE_BEFORE_RE = re.compile(r"(?<![A-Z&.])([A-Z][A-Z&.]{1,5})\s*\d")
_CODE_AFTER_RE = re.compile(r"\d(?:\s*\([A-Z0-9]{1,3}\))*\s*([A-Z][A-Z&.]{1,5})(?![A-Z&.])")


def unknown_code(text: str | None) -> bool:
    """True when the charge names a statute code we do not know (e.g. a municipal code "OMC 9.08")."""
    if not text:
        return False
    t = text.upper().strip()
    words = _CODE_BEFORE_RE.findall(t) + _CODE_AFTER_RE.findall(t)
    return any(w.rstrip(".") not in _CODE_ALIASES and w not in _CODE_ALIASES for w in words)


def charge_label(code: str | None, section: str | None) -> str | None:
    """The canonical spelling, e.g. ``PC 647(b)``."""
    if section is None:
        return None
    return f"{code or 'PC'} {section}"
