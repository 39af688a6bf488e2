"""Vulnerability (kerawanan) scoring of TPS: pure NumPy, deterministic, explained.

A risk model (:class:`RiskModelSpec`) lists weighted indicators (Bawaslu's TPS mapping has 25 in 8
variables: hak pilih, keamanan, politik uang, ...), each normalised to ``[0, 1]`` and grouped in
dimensions. :func:`score` turns an (n TPS x k indicators) matrix into scores 0-100, tiers, dimension
sub-scores, coverage and the top contributing indicators of every TPS; :func:`incident_pressure` turns
recent incidents near a TPS into extra points. See :mod:`.spec` for normalisation and the missing-data
rule and :mod:`.scoring` for the formulas.

Worked example
--------------
Three indicators: a history of violence (yes/no, weight 3), a history of money politics (yes/no, weight 2)
and the number of DPT voters who no longer qualify (a count saturating at 20, weight 1).

>>> import numpy as np
>>> from sinergi.engine.risk import Indicator, RiskModelSpec, score, contributions
>>> spec = RiskModelSpec(indicators=(
...     Indicator("riwayat_kekerasan", 3.0, dimension="keamanan"),
...     Indicator("riwayat_politik_uang", 2.0, dimension="politik uang"),
...     Indicator("dpt_tms", 1.0, kind="count", cap=20.0, dimension="hak pilih"),
... ))
>>> nan = float("nan")
>>> values = np.array([
...     [1.0, 0.0, 10.0],   # TPS A: violence, no money politics, 10 ineligible voters
...     [nan, 1.0, nan],    # TPS B: only money politics was observed (yes)
...     [nan, nan, nan],    # TPS C: nothing observed
... ], dtype=np.float32)
>>> r = score(values, spec)

TPS A has points 3 + 0 + 10/20 * 1 = 3.5 of 6, a score of 58.33: tier *rawan* (40 <= score < 70). Its
explanation: violence gives 3/6 * 100 = 50 points, the ineligible voters 0.5/6 * 100 = 8.33; money
politics contributes nothing and is not listed.

>>> [round(float(s), 2) for s in r.score]
[58.33, 100.0, nan]
>>> [r.tier_label(i) for i in range(3)]
['rawan', 'sangat rawan', None]
>>> [(code, round(p, 2)) for code, p in r.top_contributors(0)]
[('riwayat_kekerasan', 50.0), ('dpt_tms', 8.33)]

Missing values are not zeros. Under the default ``renormalise`` rule TPS B is scored on what was observed
(2 of 2 points): 100, but only a third of the weight was observed, so it is flagged for low coverage. TPS
C has no score at all (NaN, tier ``None``), not a reassuring 0.

>>> [round(float(c), 3) for c in r.coverage], r.low_coverage.tolist()
([1.0, 0.333, 0.0], [False, True, True])

Dimension sub-scores use the same formula within each dimension (NaN where nothing was observed):

>>> r.dimension_names
('keamanan', 'politik uang', 'hak pilih')
>>> [[round(float(x), 1) for x in row] for row in r.dimensions]
[[100.0, 0.0, 50.0], [nan, 100.0, nan], [nan, nan, nan]]

The contributions of all indicators add up to the score:

>>> [round(float(x), 2) for x in contributions(values, spec)[0]]
[50.0, 0.0, 8.33]

Under the ``neutral_prior`` rule a missing indicator counts as half its weight instead: TPS B gets
(3 * 0.5 + 2 + 1 * 0.5) / 6 = 66.67.

>>> from dataclasses import replace
>>> r2 = score(values, replace(spec, missing_rule="neutral_prior"))
>>> [round(float(s), 2) for s in r2.score]
[58.33, 66.67, nan]

A recent incident nearby (pressure 0.5 with the default incident weight 0.3) fills 15 % of the headroom
left above the indicator score: TPS A goes from 58.33 to 58.33 + 0.15 * 41.67 = 64.58.

>>> r3 = score(values, spec, incident_pressure=np.array([0.5, 0.0, 0.0], dtype=np.float32))
>>> round(float(r3.score[0]), 2), round(float(r3.incident_points[0]), 2)
(64.58, 6.25)
"""

from .incidents import EARTH_RADIUS_KM, incident_pressure, unit_xyz
from .scoring import BLOCK_ROWS, RiskResult, assign_tiers, contributions, score
from .spec import (
    REGION_TIERS,
    TPS_TIERS,
    Compiled,
    IncidentParams,
    Indicator,
    IndicatorKind,
    MissingRule,
    RiskModelSpec,
    TierScheme,
)
from .tiers import region_scores

__all__ = [
    "BLOCK_ROWS",
    "EARTH_RADIUS_KM",
    "REGION_TIERS",
    "TPS_TIERS",
    "Compiled",
    "IncidentParams",
    "Indicator",
    "IndicatorKind",
    "MissingRule",
    "RiskModelSpec",
    "RiskResult",
    "TierScheme",
    "assign_tiers",
    "contributions",
    "incident_pressure",
    "region_scores",
    "score",
    "unit_xyz",
]
