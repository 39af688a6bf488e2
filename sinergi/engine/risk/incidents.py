"""Incident pressure: how much recent incidents near a TPS should raise its score.

For TPS ``i`` the incident load is::

    load_i = sum over incidents e with d(i, e) <= radius_km and 0 <= age_e <= window_days of
             severity_e * 0.5 ** (age_e / half_life_days) * (1 - d(i, e) / radius_km)

with ``d`` the great-circle (haversine) distance on a sphere of radius 6371.0088 km, and the pressure is
``min(load_i / cap, 1)`` in ``[0, 1]``. Incidents dated in the future (negative age) or without
coordinates are ignored. :func:`~.scoring.score` turns the pressure into points (see
:class:`~.spec.IncidentParams`).

The neighbour search uses a KD-tree on 3-D unit-sphere coordinates: the chord length ``2 sin(theta / 2)``
is monotone in the central angle ``theta``, so the chord radius selects exactly the TPS within the
great-circle radius. Pairs are summed in (TPS, incident) order, so the result does not depend on the tree.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from .spec import IncidentParams

EARTH_RADIUS_KM = 6371.0088

F64 = npt.NDArray[np.float64]


def unit_xyz(lat: npt.ArrayLike, lng: npt.ArrayLike) -> F64:
    """(n, 3) points on the unit sphere for latitudes and longitudes in degrees."""
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    lam = np.radians(np.asarray(lng, dtype=np.float64))
    cos_phi = np.cos(phi)
    return np.stack([cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)], axis=-1)


def incident_pressure(
    tps_lat: npt.ArrayLike,
    tps_lng: npt.ArrayLike,
    incident_lat: npt.ArrayLike,
    incident_lng: npt.ArrayLike,
    incident_age_days: npt.ArrayLike,
    incident_severity: npt.ArrayLike | None = None,
    *,
    params: IncidentParams | None = None,
) -> npt.NDArray[np.float32]:
    """Incident pressure in ``[0, 1]`` per TPS, (n,) float32.

    ``incident_severity`` defaults to 1 per incident. TPS without coordinates get pressure 0.

    Two incidents at the first TPS's location, one today and one 30 days old (half-life 30 days), give it
    a load of ``1 + 0.5`` and, over the default cap of 3, a pressure of 0.5. The second TPS is 2.5 km
    north, halfway to the default 5 km radius, so it gets half of that; the third is 111 km away:

    >>> p = incident_pressure([-10.0, -10.0 + 2.5 / 111.19508, -9.0], [123.6, 123.6, 123.6],
    ...                       [-10.0, -10.0], [123.6, 123.6], [0.0, 30.0])
    >>> [round(float(x), 4) for x in p]
    [0.5, 0.25, 0.0]
    """
    prm = params or IncidentParams()
    t_lat = np.asarray(tps_lat, dtype=np.float64).ravel()
    t_lng = np.asarray(tps_lng, dtype=np.float64).ravel()
    e_lat = np.asarray(incident_lat, dtype=np.float64).ravel()
    e_lng = np.asarray(incident_lng, dtype=np.float64).ravel()
    age = np.asarray(incident_age_days, dtype=np.float64).ravel()
    sev = (
        np.ones(len(e_lat), dtype=np.float64)
        if incident_severity is None
        else np.asarray(incident_severity, dtype=np.float64).ravel()
    )
    if t_lat.shape != t_lng.shape:
        raise ValueError("TPS latitudes and longitudes differ in length")
    if not (e_lat.shape == e_lng.shape == age.shape == sev.shape):
        raise ValueError("incident arrays differ in length")
    if np.any(sev < 0):
        raise ValueError("severities must be non-negative")
    out = np.zeros(len(t_lat), dtype=np.float32)

    use_e = np.isfinite(e_lat) & np.isfinite(e_lng) & (age >= 0) & (age <= prm.window_days) & (sev > 0)
    use_t = np.isfinite(t_lat) & np.isfinite(t_lng)
    if not use_e.any() or not use_t.any():
        return out
    t_idx = np.flatnonzero(use_t)
    e_idx = np.flatnonzero(use_e)
    t_xyz = unit_xyz(t_lat[t_idx], t_lng[t_idx])
    e_xyz = unit_xyz(e_lat[e_idx], e_lng[e_idx])
    theta_max = prm.radius_km / EARTH_RADIUS_KM
    if theta_max >= np.pi:
        chord_max = 2.0
    else:
        chord_max = 2.0 * np.sin(theta_max / 2.0)
    pairs = cKDTree(t_xyz).sparse_distance_matrix(cKDTree(e_xyz), chord_max, output_type="ndarray")
    if len(pairs) == 0:
        return out
    ti = pairs["i"].astype(np.intp)
    ei = pairs["j"].astype(np.intp)
    order = np.lexsort((ei, ti))
    ti, ei, chord = ti[order], ei[order], pairs["v"][order]
    dist_km = 2.0 * np.arcsin(np.minimum(chord / 2.0, 1.0)) * EARTH_RADIUS_KM
    taper = np.clip(1.0 - dist_km / prm.radius_km, 0.0, 1.0)
    decay = np.exp2(-age[e_idx][ei] / prm.half_life_days)
    load = np.bincount(ti, weights=sev[e_idx][ei] * decay * taper, minlength=len(t_idx))
    out[t_idx] = np.minimum(load / prm.cap, 1.0).astype(np.float32)
    return out
