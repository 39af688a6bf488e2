"""Land masses from administrative polygons: which island is a point on?

No island polygon layer ships with the dataset, but kecamatan (or desa) boundaries tile the land. Their
union, after closing hairline gaps between neighbouring polygons with a small buffer (``gap_deg``, ~200 m),
falls apart into connected polygons: one per land mass (Timor, Flores, Sumba, Alor, Pantar, Lembata,
Adonara, Solor, Rote, Sabu, Raijua, Semau, Komodo, Palue, ...). Two islands closer than ``2 x gap_deg``
merge; at 0.002 degrees this only joins reef-linked islets. A point is on the land mass that contains it,
else on the nearest one (a TPS sampled on the coastline).

Labels are ordered by area (0 = largest). Names come from a list of anchor points (name, lat, lng): a land
mass takes the name of the anchor it contains.

>>> import shapely
>>> lm = land_masses([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(5, 5, 5.5, 5.5)])
>>> len(lm.polygons), lm.assign([0.5, 5.2], [1.5, 5.2]).tolist()
(2, [0, 1])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

IntArray = npt.NDArray[np.int64]


@dataclass
class LandMasses:
    polygons: list[BaseGeometry]
    names: list[str]

    def assign(self, lat: Sequence[float] | npt.NDArray[np.float64],
               lng: Sequence[float] | npt.NDArray[np.float64]) -> IntArray:
        """Land-mass label of each point (containing polygon, else the nearest)."""
        lat_a = np.asarray(lat, dtype=np.float64)
        lng_a = np.asarray(lng, dtype=np.float64)
        pts = shapely.points(lng_a, lat_a)
        tree = shapely.STRtree(self.polygons)
        idx = tree.nearest(pts)
        return np.asarray(idx, dtype=np.int64)

    def representative_points(self) -> list[tuple[int, float, float]]:
        out = []
        for i, p in enumerate(self.polygons):
            rp = p.representative_point()
            out.append((i, float(rp.y), float(rp.x)))
        return out


def land_masses(geometries: Sequence[BaseGeometry], *, gap_deg: float = 0.002,
                anchors: Sequence[tuple[str, float, float]] = ()) -> LandMasses:
    """Connected land masses of the union of ``geometries`` (see module docstring)."""
    valid = [g if g.is_valid else g.buffer(0) for g in geometries if g is not None and not g.is_empty]
    union = unary_union([g.buffer(gap_deg) for g in valid])
    polys = list(getattr(union, "geoms", [union]))
    polys.sort(key=lambda p: -p.area)
    names = [f"pulau #{i + 1}" for i in range(len(polys))]
    if anchors and polys:
        tree = shapely.STRtree(polys)
        for name, lat, lng in anchors:
            hit = tree.query(shapely.Point(lng, lat), predicate="intersects")
            if len(hit):
                k = int(hit[0])
                if names[k].startswith("pulau #"):
                    names[k] = name
    return LandMasses(polygons=polys, names=names)
