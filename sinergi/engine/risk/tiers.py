"""Rolling TPS scores up to regions.

A region's score is the plain mean of the scores of its scored TPS (TPS with score NaN are left out and
counted separately); tier it with :data:`~.spec.REGION_TIERS` (Bawaslu's rendah / sedang / tinggi cut
points 21.7 and 68.5) through :func:`~.scoring.assign_tiers`.

>>> import numpy as np
>>> from sinergi.engine.risk import REGION_TIERS, assign_tiers
>>> mean, scored = region_scores(np.array([10.0, 30.0, np.nan, 80.0], dtype=np.float32), [0, 0, 0, 1], 3)
>>> mean.tolist(), scored.tolist()
([20.0, 80.0, nan], [2, 1, 0])
>>> [REGION_TIERS.label(int(c)) for c in assign_tiers(mean, REGION_TIERS)]
['rendah', 'tinggi', None]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def region_scores(
    score: npt.ArrayLike, region_index: npt.ArrayLike, n_regions: int
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """Mean score (float32, NaN where no TPS is scored) and number of scored TPS per region ``0..n-1``."""
    s = np.asarray(score, dtype=np.float64).ravel()
    g = np.asarray(region_index, dtype=np.intp).ravel()
    if s.shape != g.shape:
        raise ValueError("score and region_index differ in length")
    if len(g) and (g.min() < 0 or g.max() >= n_regions):
        raise ValueError("region_index out of range")
    ok = ~np.isnan(s)
    total = np.bincount(g[ok], weights=s[ok], minlength=n_regions)
    scored = np.bincount(g[ok], minlength=n_regions).astype(np.int64)
    mean = np.full(n_regions, np.nan, dtype=np.float64)
    np.divide(total, scored, out=mean, where=scored > 0)
    return mean.astype(np.float32), scored
