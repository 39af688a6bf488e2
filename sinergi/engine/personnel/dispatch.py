"""Suggest the nearest available units for an incident, by travel time over roads and sea crossings.

A *unit* here is anything that can be sent: a reserve team, a patrol, a guard group allowed to leave its TPS.
Travel times come from :class:`sinergi.engine.deployment.travel.TravelModel` (road on each land mass, ports and
sea links between them, expected wait for a sailing where the model charges it).

>>> import numpy as np
>>> from sinergi.engine.deployment.travel import TravelModel
>>> m = TravelModel(ports=[], links=[])
>>> s = suggest(m, np.array([-10.0, -10.2, -10.05]), np.array([123.6, 123.6, 123.6]), np.array([0, 0, 0]),
...             np.array([True, True, False]), -10.0, 123.61, 0, k=2)
>>> [c.index for c in s]
[0, 1]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sinergi.engine.deployment.travel import TravelModel

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Candidate:
    index: int
    minutes: float


def suggest(model: TravelModel, lat: FloatArray, lng: FloatArray, island: IntArray, available: BoolArray,
            to_lat: float, to_lng: float, to_island: int, *, k: int = 5) -> list[Candidate]:
    """The ``k`` available units with the shortest travel time to the incident, nearest first (unreachable
    units are left out)."""
    idx = np.flatnonzero(np.asarray(available, dtype=bool))
    if len(idx) == 0:
        return []
    hours = model.matrix(np.asarray(lat, float)[idx], np.asarray(lng, float)[idx], np.asarray(island, np.int64)[idx],
                         np.array([to_lat]), np.array([to_lng]), np.array([to_island], dtype=np.int64))[:, 0]
    finite = np.isfinite(hours) & (hours < 1e6)
    cand = np.flatnonzero(finite)
    if len(cand) == 0:
        return []
    kk = min(k, len(cand))
    part = cand[np.argpartition(hours[cand], kk - 1)[:kk]] if kk < len(cand) else cand
    part = part[np.argsort(hours[part], kind="stable")]
    return [Candidate(int(idx[i]), round(float(hours[i]) * 60.0, 1)) for i in part]
