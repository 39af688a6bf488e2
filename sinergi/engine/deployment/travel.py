"""Travel time between any two points of an archipelago: roads on each land mass, sea links between ports.

Model (all assumptions are parameters, defaults documented in ``sinergi/data/deployment/travel_assumptions.yaml``):

* **Same land mass** — road time = great-circle distance x ``detour`` / ``speed_kmh`` of that land mass
  (terrain class: flat, hilly, mountainous), plus nothing else. The detour factor (1.4 by default) stands
  in for the road network we do not have.
* **Different land masses** — the best of: road to a port on the origin land mass, the shortest path over
  the port graph (sea links with their crossing time + ``port_access_h`` per boarding, and road between
  ports on the same land mass), road from the arrival port. Shortest paths are computed once per model
  with ``scipy.sparse.csgraph.shortest_path`` (ports are few) and cached.
* A land mass with no port (a small island) gets a *landing point* at its representative point joined to
  the nearest port of another land mass by a local boat (``local_boat_kmh``), so no TPS is unreachable;
  such legs are labelled as assumptions in route descriptions.

Worked example: two ports 100 km apart, one ferry link of 5 h, port access 1 h.

>>> import numpy as np
>>> m = TravelModel(
...     ports=[Port("A", 0.0, 0.0, 0), Port("B", 0.0, 0.9, 1)],
...     links=[SeaLink("A", "B", 5.0, "ferry", "A-B")],
...     land_speed_kmh={0: 40.0, 1: 40.0}, assumptions=TravelAssumptions(detour=1.0, port_access_h=1.0))
>>> round(float(m.hours(0.0, 0.0, 0, 0.0, 0.9, 1)), 2)
6.0
>>> round(float(m.hours(0.0, 0.0, 0, 0.0, 0.36, 0)), 2)  # 40 km by road at 40 km/h
1.0
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

EARTH_RADIUS_KM = 6371.0088
UNREACHABLE = np.inf


@dataclass(frozen=True)
class TravelAssumptions:
    """Defaults of the travel model; every figure is an assumption to be replaced by local knowledge."""

    detour: float = 1.4  # road distance / great-circle distance
    speed_kmh: float = 40.0  # default land speed when a land mass has no terrain class
    port_access_h: float = 1.0  # boarding, waiting, loading per sea leg
    local_boat_kmh: float = 15.0  # local boat to a landing point of an island without a port
    sea_detour: float = 1.2  # for local-boat legs drawn as straight lines
    wait_factor: float = 0.0  # expected wait for a departure = wait_factor x headway (0.5: random arrival)


@dataclass(frozen=True)
class Port:
    name: str
    lat: float
    lng: float
    island: int  # land-mass label


@dataclass(frozen=True)
class SeaLink:
    a: str  # port names
    b: str
    hours: float
    mode: str
    label: str
    assumed: bool = False
    departures_per_week: float | None = None  # None: no schedule known / on demand (no waiting modelled)


@dataclass(frozen=True)
class RouteLeg:
    """One leg of a route for drawing: ``darat`` (road on a land mass) or ``laut`` (sea link)."""

    mode: str
    points: tuple[tuple[float, float], ...]  # (lat, lng)
    label: str
    wait_h: float


def haversine_km(lat1: FloatArray | float, lng1: FloatArray | float, lat2: FloatArray | float,
                 lng2: FloatArray | float) -> FloatArray:
    """Great-circle distance in km, broadcasting NumPy arrays.

    >>> round(float(haversine_km(-10.17, 123.6, -10.73, 123.05)), 1)
    86.6
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lng2) - np.asarray(lng1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))), dtype=np.float64)


@dataclass
class TravelModel:
    """Road + sea travel-time model. ``island`` labels are integers (land masses); see :mod:`.islands`."""

    ports: Sequence[Port]
    links: Sequence[SeaLink]
    land_speed_kmh: dict[int, float] = field(default_factory=dict)
    assumptions: TravelAssumptions = field(default_factory=TravelAssumptions)
    landing_points: Sequence[Port] = ()
    cancelled: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self._ports: list[Port] = list(self.ports) + list(self.landing_points)
        self._index = {p.name: i for i, p in enumerate(self._ports)}
        n = len(self._ports)
        self._plat = np.array([p.lat for p in self._ports], dtype=np.float64)
        self._plng = np.array([p.lng for p in self._ports], dtype=np.float64)
        self._pisl = np.array([p.island for p in self._ports], dtype=np.int64)
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        self.active_links: list[SeaLink] = []
        for link in self.links:
            if link.label in self.cancelled or link.a not in self._index or link.b not in self._index:
                continue
            i, j = self._index[link.a], self._index[link.b]
            w = self.link_hours(link)
            rows += [i, j]
            cols += [j, i]
            vals += [w, w]
            self.active_links.append(link)
        # Road between ports on the same land mass.
        for isl in np.unique(self._pisl) if n else []:
            idx = np.flatnonzero(self._pisl == isl)
            for a in idx:
                for b in idx:
                    if a < b:
                        h = float(self.road_hours(self._plat[a], self._plng[a], self._plat[b], self._plng[b],
                                                  int(isl)))
                        rows += [int(a), int(b)]
                        cols += [int(b), int(a)]
                        vals += [h, h]
        graph = csr_matrix((np.array(vals, dtype=np.float64), (rows, cols)), shape=(n, n))
        self._port_dist: FloatArray = (np.asarray(shortest_path(graph, method="D", directed=False),
                                                  dtype=np.float64)
                                       if n else np.zeros((0, 0)))
        self._pair_cache: dict[tuple[int, int], tuple[IntArray, IntArray, FloatArray]] = {}

    # -- schedules ----------------------------------------------------------------------------------------
    def wait_hours(self, link: SeaLink) -> float:
        """Expected wait for a departure of ``link``: ``wait_factor`` x headway (168 h / departures per
        week). With departures at regular intervals and an arrival at a random moment the expected wait is
        half the headway (``wait_factor`` 0.5, the default); 0 ignores schedules. Links with no known
        schedule (``departures_per_week`` None, e.g. a chartered local boat) wait nothing.

        >>> m = TravelModel(ports=[], links=[], assumptions=TravelAssumptions(wait_factor=0.5))
        >>> m.wait_hours(SeaLink("A", "B", 14.0, "ferry", "A-B", departures_per_week=1.0))
        84.0
        >>> m.wait_hours(SeaLink("A", "B", 2.0, "fast boat", "A-B", departures_per_week=7.0))
        12.0
        """
        if not link.departures_per_week or link.departures_per_week <= 0:
            return 0.0
        return self.assumptions.wait_factor * 168.0 / link.departures_per_week

    def link_hours(self, link: SeaLink) -> float:
        """Time charged for one sea leg: crossing + port access + expected wait for a departure."""
        return link.hours + self.assumptions.port_access_h + self.wait_hours(link)

    # -- land ---------------------------------------------------------------------------------------------
    def speed(self, island: int) -> float:
        return self.land_speed_kmh.get(int(island), self.assumptions.speed_kmh)

    def road_hours(self, lat1: FloatArray | float, lng1: FloatArray | float, lat2: FloatArray | float,
                   lng2: FloatArray | float, island: int) -> FloatArray:
        """Road time on one land mass: distance x detour / speed."""
        return haversine_km(lat1, lng1, lat2, lng2) * self.assumptions.detour / self.speed(island)

    # -- sea ----------------------------------------------------------------------------------------------
    def port_hours(self, a: str, b: str) -> float:
        """Shortest port-to-port time over the graph (inf if no route)."""
        return float(self._port_dist[self._index[a], self._index[b]])

    def ports_on(self, island: int) -> IntArray:
        return np.asarray(np.flatnonzero(self._pisl == island), dtype=np.int64)

    def _island_pair(self, ia: int, ib: int) -> tuple[IntArray, IntArray, FloatArray]:
        key = (ia, ib)
        if key not in self._pair_cache:
            pa, pb = self.ports_on(ia), self.ports_on(ib)
            self._pair_cache[key] = (pa, pb, self._port_dist[np.ix_(pa, pb)])
        return self._pair_cache[key]

    def matrix(self, lat1: FloatArray, lng1: FloatArray, isl1: IntArray,
               lat2: FloatArray, lng2: FloatArray, isl2: IntArray) -> FloatArray:
        """Travel hours from every point of set 1 (rows) to every point of set 2 (columns)."""
        lat1, lng1, isl1 = np.asarray(lat1, float), np.asarray(lng1, float), np.asarray(isl1, np.int64)
        lat2, lng2, isl2 = np.asarray(lat2, float), np.asarray(lng2, float), np.asarray(isl2, np.int64)
        out = np.full((len(lat1), len(lat2)), UNREACHABLE, dtype=np.float64)
        for ia in np.unique(isl1):
            ra = np.flatnonzero(isl1 == ia)
            for ib in np.unique(isl2):
                cb = np.flatnonzero(isl2 == ib)
                if ia == ib:
                    block = self.road_hours(lat1[ra, None], lng1[ra, None], lat2[None, cb], lng2[None, cb], int(ia))
                else:
                    pa, pb, pd = self._island_pair(int(ia), int(ib))
                    if len(pa) == 0 or len(pb) == 0:
                        continue
                    to_port = self.road_hours(lat1[ra, None], lng1[ra, None], self._plat[None, pa],
                                              self._plng[None, pa], int(ia))  # (ra, pa)
                    from_port = self.road_hours(self._plat[pb, None], self._plng[pb, None], lat2[None, cb],
                                                lng2[None, cb], int(ib))  # (pb, cb)
                    # via[a_row, pb] = min over pa (to_port + pd)
                    via = np.min(to_port[:, :, None] + pd[None, :, :], axis=1)  # (ra, pb)
                    block = np.min(via[:, :, None] + from_port[None, :, :], axis=1)  # (ra, cb)
                out[np.ix_(ra, cb)] = block
        return out

    def hours(self, lat1: float, lng1: float, isl1: int, lat2: float, lng2: float, isl2: int) -> float:
        """Travel hours between two points."""
        m = self.matrix(np.array([lat1]), np.array([lng1]), np.array([isl1]),
                        np.array([lat2]), np.array([lng2]), np.array([isl2]))
        return float(m[0, 0])

    def _port_sequence(self, lat1: float, lng1: float, isl1: int, lat2: float, lng2: float,
                       isl2: int) -> list[int]:
        """Port indices along the fastest route between two land masses (empty if none)."""
        pa, pb, pd = self._island_pair(isl1, isl2)
        if len(pa) == 0 or len(pb) == 0:
            return []
        to_port = self.road_hours(lat1, lng1, self._plat[pa], self._plng[pa], isl1)
        from_port = self.road_hours(self._plat[pb], self._plng[pb], lat2, lng2, isl2)
        total = to_port[:, None] + pd + from_port[None, :]
        i, j = np.unravel_index(int(np.argmin(total)), total.shape)
        if not np.isfinite(total[i, j]):
            return []
        # Recover the port sequence with predecessors (small graph).
        _, pred = shortest_path(self._graph_for_route(), method="D", directed=False, indices=[int(pa[i])],
                                return_predecessors=True)
        seq = [int(pb[j])]
        while seq[-1] != int(pa[i]) and pred[0, seq[-1]] >= 0:
            seq.append(int(pred[0, seq[-1]]))
        return list(reversed(seq))

    def route(self, lat1: float, lng1: float, isl1: int, lat2: float, lng2: float, isl2: int) -> list[str]:
        """Human-readable legs of the fastest route (port names and link labels)."""
        if isl1 == isl2:
            return ["darat"]
        seq = self._port_sequence(lat1, lng1, isl1, lat2, lng2, isl2)
        if not seq:
            return []
        return ["darat", *[self._ports[k].name for k in seq], "darat"]

    def route_legs(self, lat1: float, lng1: float, isl1: int, lat2: float, lng2: float,
                   isl2: int) -> list[RouteLeg]:
        """The fastest route as drawable legs: road legs on a land mass, sea legs between ports (straight
        lines between the two ports; the real sailing line is not in the data). Empty if unreachable.

        >>> m = TravelModel(ports=[Port("A", 0.0, 0.1, 0), Port("B", 0.0, 0.8, 1)],
        ...                 links=[SeaLink("A", "B", 5.0, "ferry", "A-B")])
        >>> [(leg.mode, leg.label) for leg in m.route_legs(0.0, 0.0, 0, 0.0, 0.9, 1)]
        [('darat', ''), ('laut', 'A-B'), ('darat', '')]
        """
        if isl1 == isl2:
            return [RouteLeg("darat", ((lat1, lng1), (lat2, lng2)), "", 0.0)]
        seq = self._port_sequence(lat1, lng1, isl1, lat2, lng2, isl2)
        if not seq:
            return []
        legs: list[RouteLeg] = []
        first = self._ports[seq[0]]
        legs.append(RouteLeg("darat", ((lat1, lng1), (first.lat, first.lng)), "", 0.0))
        for a, b in zip(seq, seq[1:], strict=False):
            pa, pb = self._ports[a], self._ports[b]
            link = self._link_between(pa.name, pb.name)
            if pa.island == pb.island and link is None:
                legs.append(RouteLeg("darat", ((pa.lat, pa.lng), (pb.lat, pb.lng)), "", 0.0))
            else:
                legs.append(RouteLeg("laut", ((pa.lat, pa.lng), (pb.lat, pb.lng)),
                                     link.label if link else f"{pa.name}–{pb.name}",
                                     self.wait_hours(link) if link else 0.0))
        last = self._ports[seq[-1]]
        legs.append(RouteLeg("darat", ((last.lat, last.lng), (lat2, lng2)), "", 0.0))
        return legs

    def _link_between(self, a: str, b: str) -> SeaLink | None:
        best: SeaLink | None = None
        for link in self.active_links:
            if {link.a, link.b} == {a, b} and (best is None or self.link_hours(link) < self.link_hours(best)):
                best = link
        return best

    def _graph_for_route(self) -> csr_matrix:
        if not hasattr(self, "_route_graph"):
            n = len(self._ports)
            d = self._port_dist
            # Direct edges only: rebuild from links + same-island roads.
            rows: list[int] = []
            cols: list[int] = []
            vals: list[float] = []
            for link in self.active_links:
                i, j = self._index[link.a], self._index[link.b]
                w = self.link_hours(link)
                rows += [i, j]
                cols += [j, i]
                vals += [w, w]
            for a in range(n):
                for b in range(n):
                    if a != b and self._pisl[a] == self._pisl[b]:
                        rows.append(a)
                        cols.append(b)
                        vals.append(float(self.road_hours(self._plat[a], self._plng[a], self._plat[b],
                                                          self._plng[b], int(self._pisl[a]))))
            del d
            self._route_graph = csr_matrix((np.array(vals, dtype=np.float64), (rows, cols)), shape=(n, n))
        return self._route_graph


def landing_points_for(islands: Iterable[tuple[int, float, float]], ports: Sequence[Port],
                       assumptions: TravelAssumptions) -> tuple[list[Port], list[SeaLink]]:
    """Landing points and local-boat links for land masses without a port.

    ``islands`` yields (label, lat, lng) of a representative point per land mass. Each port-less land mass
    is joined to the nearest port on another land mass: hours = distance x sea_detour / local_boat_kmh.
    """
    with_port = {p.island for p in ports}
    if not ports:
        return [], []
    plat = np.array([p.lat for p in ports])
    plng = np.array([p.lng for p in ports])
    landing: list[Port] = []
    links: list[SeaLink] = []
    for label, lat, lng in islands:
        if label in with_port:
            continue
        d = haversine_km(lat, lng, plat, plng)
        k = int(np.argmin(d))
        name = f"landing-{label}"
        landing.append(Port(name, lat, lng, label))
        hours = float(d[k]) * assumptions.sea_detour / assumptions.local_boat_kmh
        links.append(SeaLink(name, ports[k].name, round(hours, 2), "perahu lokal",
                             f"{ports[k].name}–pulau {label} (asumsi)", assumed=True))
    return landing, links
