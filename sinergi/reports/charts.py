"""Server-side drawings for the report (inline SVG, rendered by the browser and by WeasyPrint alike):
the map of the territory's regencies (or a regency's kecamatan) with incident points by severity, and the
7-day incident trend. No plotting library: plain SVG from the stored boundaries."""

from __future__ import annotations

import json
import math
from html import escape

SEVERITY_COLOURS = {1: "#2e7d32", 2: "#f9a825", 3: "#ef6c00", 4: "#c62828"}


def _rings(geometry: dict) -> list[list[tuple[float, float]]]:
    kind = geometry.get("type")
    coords = geometry.get("coordinates") or []
    if kind == "Polygon":
        return [[(x, y) for x, y, *_ in ring] for ring in coords]
    if kind == "MultiPolygon":
        return [[(x, y) for x, y, *_ in ring] for poly in coords for ring in poly]
    return []


def boundaries(region_code: str) -> list[tuple[str, str, list[list[tuple[float, float]]]]]:
    """(code, name, rings) of the regencies of a province, or of the kecamatan of a regency."""
    from sinergi.regions.models import Region

    qs = Region.objects.filter(parent_id=region_code).exclude(geometry_web="")
    if not qs.exists():
        qs = Region.objects.filter(code=region_code).exclude(geometry_web="")
    out = []
    for code, name, geo in qs.order_by("code").values_list("code", "name", "geometry_web"):
        try:
            out.append((code, name, _rings(json.loads(geo))))
        except (ValueError, TypeError):
            continue
    return out


def map_svg(region_code: str, points: list[dict], *, width: int = 640, height: int = 360,
            title: str = "") -> str:
    shapes = boundaries(region_code)
    xs = [x for _, _, rings in shapes for ring in rings for x, _ in ring] + [p["lng"] for p in points]
    ys = [y for _, _, rings in shapes for ring in rings for _, y in ring] + [p["lat"] for p in points]
    if not xs:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="60" role="img">'
                f'<text x="8" y="30" font-size="12">{escape(title)}</text></svg>')
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    kx = math.cos(math.radians((y0 + y1) / 2))  # equirectangular: shrink longitude by cos(latitude)
    span_x, span_y = max((x1 - x0) * kx, 1e-6), max(y1 - y0, 1e-6)
    pad = 8
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)

    def px(lng: float, lat: float) -> tuple[float, float]:
        return pad + (lng - x0) * kx * scale, pad + (y1 - lat) * scale

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" role="img" aria-label="{escape(title)}" class="sitrep-map">',
             f'<rect width="{width}" height="{height}" fill="#eaf2f8"/>']
    for code, name, rings in shapes:
        d = " ".join("M" + " L".join(f"{a:.1f},{b:.1f}" for a, b in (px(x, y) for x, y in ring)) + " Z"
                     for ring in rings if len(ring) > 2)
        parts.append(f'<path d="{d}" fill="#f7f4ea" stroke="#6d6d6d" stroke-width="0.6" fill-rule="evenodd">'
                     f'<title>{escape(name)} ({escape(code)})</title></path>')
    for p in sorted(points, key=lambda p: p["severity"]):
        cx, cy = px(p["lng"], p["lat"])
        colour = SEVERITY_COLOURS.get(p["severity"], "#555")
        r = 2.5 + p["severity"]
        fill = "none" if p.get("approximate") else colour
        parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r}" fill="{fill}" fill-opacity="0.85" '
                     f'stroke="{colour}" stroke-width="1.5"/>')
    parts.append("</svg>")
    return "".join(parts)


def trend_svg(days: list[dict], *, width: int = 640, height: int = 200, title: str = "") -> str:
    n = len(days)
    top = max([d["n"] for d in days] + [1])
    left, bottom, pad = 30, 28, 10
    plot_w, plot_h = width - left - pad, height - bottom - pad
    bar = plot_w / max(n, 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" role="img" aria-label="{escape(title)}" class="sitrep-trend">',
             f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
             f'<line x1="{left}" y1="{pad + plot_h}" x2="{left + plot_w}" y2="{pad + plot_h}" stroke="#333"/>',
             f'<text x="{left - 4}" y="{pad + 8}" font-size="10" text-anchor="end">{top}</text>',
             f'<text x="{left - 4}" y="{pad + plot_h}" font-size="10" text-anchor="end">0</text>']
    for i, d in enumerate(days):
        h = plot_h * d["n"] / top
        x = left + i * bar + bar * 0.15
        y = pad + plot_h - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar * 0.7:.1f}" height="{h:.1f}" fill="#1565c0">'
                     f'<title>{escape(d["date"])}: {d["n"]}</title></rect>')
        parts.append(f'<text x="{x + bar * 0.35:.1f}" y="{y - 3:.1f}" font-size="10" text-anchor="middle">'
                     f'{d["n"]}</text>')
        parts.append(f'<text x="{x + bar * 0.35:.1f}" y="{height - 10}" font-size="10" text-anchor="middle">'
                     f'{escape(d["date"][8:10])}/{escape(d["date"][5:7])}</text>')
    parts.append("</svg>")
    return "".join(parts)
