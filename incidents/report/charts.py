"""The report's drawings, inline SVG: the map of incidents over the borders of Iraq and its
neighbours, and the timeline of incidents and casualties per month."""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

from incidents import LEXICON_DIR

if TYPE_CHECKING:
    from incidents.report.data import ReportData

OUTLINE_PATH = LEXICON_DIR / "boundaries.geojson"

WEAPON_COLOURS = {
    "rocket": "#d62728", "mortar": "#ff7f0e", "missile": "#9467bd", "drone": "#1f77b4",
    "airstrike": "#17becf", "ied": "#8c564b", "gunfire": "#2ca02c", "unknown": "#7f7f7f",
}
KILLED_COLOUR, INJURED_COLOUR = "#7f1d1d", "#f59e0b"

# What the map shows: Iraq, eastern Syria to Damascus, north-eastern Jordan, Kuwait, and the
# borderlands of Turkey, Iran and Saudi Arabia, where attacks linked to Iraqi armed groups were
# reported (borders: lexicons/boundaries.geojson, Natural Earth).
MAP_WEST, MAP_EAST, MAP_SOUTH, MAP_NORTH = 35.6, 49.0, 28.6, 38.0
MAP_WIDTH = 600
FOCUS_COUNTRY = "Iraq"
MIN_MARK_RADIUS, MAX_MARK_RADIUS = 4.0, 22.0


def in_map_frame(longitude: float, latitude: float) -> bool:
    return MAP_WEST <= longitude <= MAP_EAST and MAP_SOUTH <= latitude <= MAP_NORTH


def escape(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


class MapFrame:
    """Longitude/latitude to SVG pixels: equirectangular, x shrunk by cos(latitude) mid-map."""

    def __init__(self, width: float = MAP_WIDTH):
        self.scale_x = width / (MAP_EAST - MAP_WEST)
        self.scale_y = self.scale_x / math.cos(math.radians((MAP_NORTH + MAP_SOUTH) / 2))
        self.width = width
        self.height = (MAP_NORTH - MAP_SOUTH) * self.scale_y

    def project(self, longitude: float, latitude: float) -> tuple[float, float]:
        return (longitude - MAP_WEST) * self.scale_x, (MAP_NORTH - latitude) * self.scale_y


def load_outline(path: Path = OUTLINE_PATH) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _place_radius(place: dict, most: int) -> float:
    """Area in proportion to the place's incidents, up to MAX_MARK_RADIUS for the busiest."""
    return MIN_MARK_RADIUS + (MAX_MARK_RADIUS - MIN_MARK_RADIUS) * math.sqrt((place["incidents"] - 1) / max(most - 1, 1))


def _weapons_by_use(place: dict) -> list[str]:
    """A place's weapons, the most used first (ties in the legend's order)."""
    order = list(WEAPON_COLOURS)
    return sorted(place["weapons"], key=lambda w: (-place["weapons"][w], order.index(w) if w in order else len(order)))


def map_svg(data: ReportData, outline: dict) -> str:
    frame = MapFrame()
    parts = [f'<svg id="map" viewBox="0 0 {frame.width:.0f} {frame.height:.0f}" role="img" '
             f'aria-label="Map of incidents">']
    parts.append(f'<rect width="{frame.width:.0f}" height="{frame.height:.0f}" class="beyond"/>')
    labels = []
    for feature in outline["features"]:
        geometry, properties = feature["geometry"], feature["properties"]
        if geometry["type"] in ("Polygon", "MultiPolygon"):
            polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
            # One path per country (holes cut out by the even-odd rule); Iraq drawn as the focus.
            path = " ".join("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in (frame.project(*p) for p in ring)) + "Z"
                            for polygon in polygons for ring in polygon)
            kind = "land" if properties.get("name") == FOCUS_COUNTRY else "land neighbour"
            parts.append(f'<path class="{kind}" fill-rule="evenodd" d="{path}"><title>{escape(properties.get("name"))}</title></path>')
        elif geometry["type"] == "Point" and properties.get("kind") == "capital":
            x, y = frame.project(*geometry["coordinates"])
            side = properties.get("label", "right")
            dx, dy, anchor = {"right": (5, 3.5, "start"), "left": (-5, 3.5, "end"),
                              "above": (0, -6, "middle"), "below": (0, 13, "middle")}[side]
            parts.append(f'<rect class="capital" x="{x - 2.5:.1f}" y="{y - 2.5:.1f}" width="5" height="5">'
                         f'<title>{escape(properties["name"])}, capital of {escape(properties["governorate"])}</title></rect>')
            labels.append(f'<text class="capital-label" x="{x + dx:.1f}" y="{y + dy:.1f}" '
                          f'text-anchor="{anchor}">{escape(properties["name"])}</text>')
    most = max((place["incidents"] for place in data.places), default=1)
    for place in data.places:
        x, y = frame.project(place["longitude"], place["latitude"])
        by_use = _weapons_by_use(place)
        colour = WEAPON_COLOURS.get(by_use[0], WEAPON_COLOURS["unknown"])
        style = f'stroke="{colour}" fill="none" stroke-width="2"' if place["approximate"] else f'fill="{colour}" fill-opacity="0.8"'
        weapons = ", ".join(f"{weapon} {place['weapons'][weapon]}" for weapon in by_use)
        period = (f' · {place["first_date"]} to {place["last_date"]}' if place["first_date"] else "")
        tooltip = (f'{place["name"] or ""}{" (governorate)" if place["approximate"] else ""} · '
                   f'{place["incidents"]} incident{"s" if place["incidents"] != 1 else ""} ({weapons}){period} · '
                   f'killed {place["killed"]}, injured {place["injured"]}')
        parts.append(f'<circle class="place" data-incidents="{place["incidents"]}" data-incident="{escape(place["latest_id"])}" '
                     f'cx="{x:.1f}" cy="{y:.1f}" r="{_place_radius(place, most):.1f}" {style}>'
                     f'<title>{escape(tooltip)}</title></circle>')
    parts += labels
    parts.append("</svg>")
    return "".join(parts)


def weapon_legend() -> str:
    return "".join(f'<span class="key"><i style="background:{colour}"></i>{weapon}</span>'
                   for weapon, colour in WEAPON_COLOURS.items())


def timeline_svg(data: ReportData) -> str:
    if not data.months:
        return '<p class="empty">No dated incidents yet.</p>'
    width, panel, gap, left, right, bottom = 720, 130, 34, 36, 12, 20
    height = 2 * panel + gap + bottom
    step = (width - left - right) / len(data.months)
    bar = max(step * 0.8, 1)
    most_incidents = max(sum(m["weapons"].values()) for m in data.months) or 1
    most_casualties = max(m["killed"] + m["injured"] for m in data.months) or 1
    parts = [f'<svg id="timeline" viewBox="0 0 {width} {height}" role="img" aria-label="Incidents and casualties per month">']
    for top, label, peak in ((0, "incidents", most_incidents), (panel + gap, "killed + injured", most_casualties)):
        base = top + panel
        parts.append(f'<line class="axis" x1="{left}" y1="{base}" x2="{width - right}" y2="{base}"/>')
        parts.append(f'<text class="tick" x="{left - 4}" y="{top + 12}" text-anchor="end">{peak}</text>')
        parts.append(f'<text class="tick" x="{left - 4}" y="{base}" text-anchor="end">0</text>')
        parts.append(f'<text class="panel-label" x="{left + 4}" y="{top + 10}">{label} per month</text>')
    for index, month in enumerate(data.months):
        x = left + index * step + (step - bar) / 2
        label = month["month"].strftime("%Y-%m")
        y = panel
        for weapon, colour in WEAPON_COLOURS.items():
            count = month["weapons"].get(weapon, 0)
            if count:
                h = count / most_incidents * (panel - 14)
                y -= h
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}">'
                             f'<title>{label}: {count} {weapon}</title></rect>')
        y = 2 * panel + gap
        for figure, colour in (("killed", KILLED_COLOUR), ("injured", INJURED_COLOUR)):
            if month[figure]:
                h = month[figure] / most_casualties * (panel - 14)
                y -= h
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}">'
                             f'<title>{label}: {month[figure]} {figure}</title></rect>')
        tick_x = left + index * step
        if month["month"].month == 1 or index == 0:
            parts.append(f'<line class="grid" x1="{tick_x:.1f}" y1="0" x2="{tick_x:.1f}" y2="{2 * panel + gap}"/>')
            if tick_x + 28 <= width:  # a year that starts at the right edge has no room for its label
                parts.append(f'<text class="tick" x="{tick_x + 2:.1f}" y="{height - 6}">{month["month"].year}</text>')
    parts.append("</svg>")
    return "".join(parts)
