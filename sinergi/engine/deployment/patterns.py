"""Security patterns A-B-C: A officers guard B TPS with C Linmas (see DOMAIN.md).

>>> p = Pattern(officers=2, tps=11, linmas=24)
>>> officers_for_group(p), linmas_for_group(p, 5), manual_officers(p, 927)
(2, 11, 170)
>>> officers_for_group(Pattern(officers=1, tps=1, linmas=1, pairs=True))
2
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TIERS = ("kurang_rawan", "rawan", "sangat_rawan", "khusus")


@dataclass(frozen=True)
class Pattern:
    officers: int  # A
    tps: int  # B
    linmas: int  # C
    pairs: bool = True  # officers work at least in pairs

    def label(self) -> str:
        return f"{self.officers}-{self.tps}-{self.linmas}"


def officers_for_group(p: Pattern) -> int:
    """Officers of one guard group: A, raised to an even number >= 2 when the pattern works in pairs."""
    a = p.officers
    if p.pairs:
        a = max(2, a + (a % 2))
    return a


def linmas_for_group(p: Pattern, size: int) -> int:
    """Linmas of a group of ``size`` TPS: C per B TPS, pro rata, rounded up."""
    return math.ceil(p.linmas * size / max(p.tps, 1))


def manual_officers(p: Pattern, n_tps: int) -> int:
    """The manual method: the pattern applied to a tier count, no geography."""
    return math.ceil(n_tps / max(p.tps, 1)) * officers_for_group(p)


def deployable(strength: int, cap_share: float) -> int:
    """Officers a unit may deploy: floor(strength x cap_share) (default two-thirds)."""
    return int(math.floor(strength * cap_share + 1e-9))
