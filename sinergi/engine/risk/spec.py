"""What a risk model is: its indicators, tiers, missing-data rule and incident influence.

A :class:`RiskModelSpec` is plain data (frozen dataclasses, no arrays in the constructor) so the Django
side can build one from database rows and tests can build one inline. The arrays the scorer needs are
derived once per spec (:attr:`RiskModelSpec.compiled`).

Normalisation of one raw value ``v`` of indicator ``j`` to ``x`` in ``[0, 1]``:

* ``yes_no``: ``clip(v, 0, 1)`` (0 = no, 1 = yes);
* ``count``: ``clip(v / cap, 0, 1)`` (a count saturates at ``cap``; ``+inf`` saturates too);
* ``share``: ``clip(v, 0, 1)`` (a fraction such as the share of DPT voters who no longer qualify).

A protective indicator (``direction=-1``, e.g. "TPS has a stable internet connection") uses ``1 - x``.
The indicator's points before renormalisation are ``u = weight * x`` (the scorer computes it as
``clip(v * (direction * weight / cap) + offset, 0, weight)``, float32).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np
import numpy.typing as npt

IndicatorKind = Literal["yes_no", "count", "share"]
MissingRule = Literal["renormalise", "neutral_prior"]

F32 = npt.NDArray[np.float32]
I32 = npt.NDArray[np.int32]
IntpArray = npt.NDArray[np.intp]


@dataclass(frozen=True)
class TierScheme:
    """Ascending cut points and one label per tier (``len(labels) == len(cut_points) + 1``).

    A score equal to a cut point belongs to the upper tier (the comparison is made at float32 precision,
    the scores' own precision): with Bawaslu's region scheme 21.7 is ``sedang`` and 68.5 is ``tinggi``.
    Tier code ``i`` is ``labels[i]``; code ``-1`` means "not scored" (no indicator observed).
    """

    cut_points: tuple[float, ...]
    labels: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.labels) != len(self.cut_points) + 1:
            raise ValueError("a tier scheme needs exactly one more label than cut points")
        if any(not math.isfinite(c) for c in self.cut_points):
            raise ValueError("cut points must be finite")
        if any(b <= a for a, b in zip(self.cut_points, self.cut_points[1:], strict=False)):
            raise ValueError("cut points must be strictly ascending")

    def label(self, code: int) -> str | None:
        """The label of a tier code, or ``None`` for ``-1`` (not scored)."""
        return None if code < 0 else self.labels[code]


#: TPS tiers (our default; each risk model may set its own): rawan from 40, sangat rawan from 70.
TPS_TIERS = TierScheme(cut_points=(40.0, 70.0), labels=("kurang rawan", "rawan", "sangat rawan"))
#: Region tiers of Bawaslu's IKP: rendah < 21.7 <= sedang < 68.5 <= tinggi.
REGION_TIERS = TierScheme(cut_points=(21.7, 68.5), labels=("rendah", "sedang", "tinggi"))


@dataclass(frozen=True)
class IncidentParams:
    """How reported incidents raise the scores of TPS near them.

    An incident ``e`` at great-circle distance ``d`` from a TPS, ``age`` days old, with severity ``s``
    adds ``s * 0.5 ** (age / half_life_days) * (1 - d / radius_km)`` to the TPS's incident load when
    ``d <= radius_km`` and ``0 <= age <= window_days``. The pressure is ``p = min(load / cap, 1)``.

    The incident points are ``weight * p * (100 - S)`` where ``S`` is the indicator score, i.e. the final
    score ``S * (1 - weight * p) + 100 * weight * p`` fills a share ``weight * p`` of the headroom: it never
    lowers a score, never passes 100, adds at most ``100 * weight`` points, and stays monotone in ``S``.
    """

    radius_km: float = 5.0
    window_days: float = 90.0
    half_life_days: float = 30.0
    cap: float = 3.0
    weight: float = 0.3

    def __post_init__(self) -> None:
        if not (self.radius_km > 0 and self.window_days >= 0 and self.half_life_days > 0 and self.cap > 0):
            raise ValueError("radius, half-life and cap must be positive and the window non-negative")
        if not 0.0 <= self.weight <= 1.0:
            raise ValueError("incident weight must be within [0, 1]")


#: Weights are relative. Keeping them within these bounds keeps every float32 sum and ratio exact enough.
MIN_WEIGHT = 1e-6
MAX_WEIGHT = 1e6


@dataclass(frozen=True)
class Indicator:
    """One indicator of a risk model (e.g. ``riwayat_kekerasan``, yes/no, weight 3, dimension keamanan).

    ``prior`` is the normalised value assumed for a missing observation under the ``neutral_prior`` rule.
    A weight of 0 switches the indicator off; otherwise it must be within ``[MIN_WEIGHT, MAX_WEIGHT]``.
    """

    code: str
    weight: float
    kind: IndicatorKind = "yes_no"
    cap: float = 1.0
    direction: int = 1
    dimension: str = "umum"
    prior: float = 0.5

    def __post_init__(self) -> None:
        if not (math.isfinite(self.weight) and (self.weight == 0 or MIN_WEIGHT <= self.weight <= MAX_WEIGHT)):
            raise ValueError(
                f"{self.code}: weight must be 0 (switched off) or within [{MIN_WEIGHT}, {MAX_WEIGHT}]"
            )
        if self.kind not in ("yes_no", "count", "share"):
            raise ValueError(f"{self.code}: unknown kind {self.kind!r}")
        if self.kind == "count" and not (math.isfinite(self.cap) and self.cap > 0):
            raise ValueError(f"{self.code}: a count needs a positive cap")
        if self.direction not in (1, -1):
            raise ValueError(f"{self.code}: direction must be +1 or -1")
        if not 0.0 <= self.prior <= 1.0:
            raise ValueError(f"{self.code}: prior must be within [0, 1]")


@dataclass(frozen=True)
class Compiled:
    """Arrays derived from a spec for the scorer.

    The scorer keeps indicators in an internal row order where each dimension's indicators are
    contiguous (``perm``); column vectors have shape (k, 1) in that order.
    """

    k: int
    #: internal row -> indicator index
    perm: IntpArray
    #: indicator index -> internal row
    row_of: IntpArray
    #: (d + 1,) first internal row of each dimension, then k
    bounds: tuple[int, ...]
    #: u = clip(v * scale + offset, 0, weight), all float32
    scale: F32
    offset: F32
    has_offset: bool
    weight: F32
    prior_points: F32
    #: k - 1 - indicator index: the tie-break bits of the ranking key (lower index ranks first)
    tie: I32
    #: number of low bits of the ranking key that hold the tie-break
    tie_bits: int
    #: (d,) weight per dimension and the total, summed one by one in float32 in internal row order
    dim_weight: F32
    total_weight: np.float32


@dataclass(frozen=True)
class RiskModelSpec:
    """A risk model: indicators, missing-data rule, tiers and incident influence.

    Missing observations (NaN) are never read as zero:

    * ``renormalise`` (default): the score is taken over the observed indicators only, i.e. the weights
      of missing ones are dropped and the rest renormalised to 100. ``coverage`` (observed weight / total
      weight) is reported and a TPS below ``min_coverage`` is flagged ``low_coverage``.
    * ``neutral_prior``: a missing indicator counts as its ``prior`` (default 0.5, "as likely as not");
      the denominator is always the full weight. Coverage and the flag are reported the same way.

    Under both rules a TPS with no observed indicator (coverage 0) has score NaN, tier ``-1`` and no
    contributors.
    """

    indicators: tuple[Indicator, ...]
    missing_rule: MissingRule = "renormalise"
    min_coverage: float = 0.5
    tiers: TierScheme = TPS_TIERS
    incidents: IncidentParams = field(default_factory=IncidentParams)

    def __post_init__(self) -> None:
        if not self.indicators:
            raise ValueError("a risk model needs at least one indicator")
        codes = [ind.code for ind in self.indicators]
        if len(set(codes)) != len(codes):
            raise ValueError("indicator codes must be unique")
        if not sum(ind.weight for ind in self.indicators) > 0:
            raise ValueError("at least one indicator needs a positive weight")
        if self.missing_rule not in ("renormalise", "neutral_prior"):
            raise ValueError(f"unknown missing rule {self.missing_rule!r}")
        if not 0.0 <= self.min_coverage <= 1.0:
            raise ValueError("min_coverage must be within [0, 1]")

    @property
    def indicator_codes(self) -> tuple[str, ...]:
        return tuple(ind.code for ind in self.indicators)

    @property
    def dimension_names(self) -> tuple[str, ...]:
        """Dimensions in order of first appearance among the indicators."""
        return tuple(dict.fromkeys(ind.dimension for ind in self.indicators))

    @cached_property
    def compiled(self) -> Compiled:
        inds = self.indicators
        k = len(inds)
        dims = self.dimension_names
        dim_of = np.array([dims.index(ind.dimension) for ind in inds], dtype=np.intp)
        perm = np.argsort(dim_of, kind="stable").astype(np.intp)
        row_of = np.empty(k, dtype=np.intp)
        row_of[perm] = np.arange(k, dtype=np.intp)
        bounds = tuple(int(b) for b in np.searchsorted(dim_of[perm], np.arange(len(dims) + 1)))

        w = np.array([ind.weight for ind in inds], dtype=np.float32)
        cap = np.array([ind.cap if ind.kind == "count" else 1.0 for ind in inds], dtype=np.float32)
        sign = np.array([ind.direction for ind in inds], dtype=np.float32)
        # Computed once in float32; contributions() and the scorer use these exact numbers.
        scale = (sign / cap * w).astype(np.float32)
        offset = np.where(sign < 0, w, np.float32(0)).astype(np.float32)
        prior = (np.array([ind.prior for ind in inds], dtype=np.float32) * w).astype(np.float32)
        tie = (k - 1 - np.arange(k)).astype(np.int32)
        # Summed one by one in float32 in the order the scorer sums observed weights, so a fully observed
        # TPS gets exactly these denominators and coverage exactly 1.
        wp = w[perm]
        dim_weight = np.zeros(len(dims), dtype=np.float32)
        for i in range(len(dims)):
            acc = wp[bounds[i]]
            for r in range(bounds[i] + 1, bounds[i + 1]):
                acc = np.float32(acc + wp[r])
            dim_weight[i] = acc
        total = dim_weight[0]
        for dw in dim_weight[1:]:
            total = np.float32(total + dw)

        def col(a: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
            return np.ascontiguousarray(a[perm].reshape(k, 1))

        return Compiled(
            k=k,
            perm=perm,
            row_of=row_of,
            bounds=bounds,
            scale=col(scale).astype(np.float32),
            offset=col(offset).astype(np.float32),
            has_offset=bool(np.any(offset != 0)),
            weight=col(w).astype(np.float32),
            prior_points=col(prior).astype(np.float32),
            tie=col(tie).astype(np.int32),
            tie_bits=max(1, (k - 1).bit_length()),
            dim_weight=dim_weight,
            total_weight=np.float32(total),
        )
