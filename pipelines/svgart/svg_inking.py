"""Two renderings of one SVG's geometry: its colouring, and its ink (true line-art) in black on white.

    doc = load_svg(path)                          # ElementTree of an .svg or .svgz
    colour_doc, ink_doc = colour_version(doc), ink_version(doc)
    write_svg(colour_doc, "c.svg"); write_svg(ink_doc, "l.svg")   # then rsvg-convert both alike

The ink version keeps every shape and every stroke width, so both render with the same extents:

* strokes become black (ink); strokes lighter than LIGHT (white rims, highlights) become paper white;
* fills darker than DARK (luminance of the colour, gradients resolved to the mean of their stops) and
  without a bright channel (max below DARK_MAX: navy or deep red stay paint) become black: solid
  blacks and dark outline shapes are ink;
* other opaque fills become white (paper), so an object in front hides the lines behind it, as an
  artist's drawing would; translucent fills and strokes (shading, glows, shadows) are dropped
  (made fully transparent, so that they still count for the extents);
* group opacity and a gradient's mean stop-opacity are folded into each shape's decision, then removed.

Filters (blurs, drop shadows) are removed from both versions: they change the extents a render is
cropped to, and a colour version without soft shadows is closer to cel paint anyway.
"""

from __future__ import annotations

import copy
import gzip
import re
import xml.etree.ElementTree as ET
from pathlib import Path

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
INKSCAPE = "http://www.inkscape.org/namespaces/inkscape"
SHAPES = {"path", "rect", "circle", "ellipse", "polygon", "polyline", "line", "text", "use"}
INHERITED = ("fill", "stroke", "fill-opacity", "stroke-opacity", "color")
DARK, LIGHT = 0.25, 0.85          # luminance thresholds (0-1) for ink fills and paper strokes
DARK_MAX = 0.4                    # an ink fill has no channel above this (saturated dark colours are paint)
MIN_FILL_OPACITY, MIN_STROKE_OPACITY = 0.5, 0.3
NAMED = {"black": (0, 0, 0), "white": (1, 1, 1), "red": (1, 0, 0), "green": (0, 0.5, 0), "blue": (0, 0, 1),
         "yellow": (1, 1, 0), "gray": (0.5, 0.5, 0.5), "grey": (0.5, 0.5, 0.5), "orange": (1, 0.65, 0),
         "brown": (0.65, 0.16, 0.16), "navy": (0, 0, 0.5), "silver": (0.75, 0.75, 0.75), "maroon": (0.5, 0, 0),
         "purple": (0.5, 0, 0.5), "lime": (0, 1, 0), "darkgreen": (0, 0.39, 0), "darkblue": (0, 0, 0.55)}

for prefix, uri in (("", SVG), ("xlink", XLINK), ("inkscape", INKSCAPE),
                    ("sodipodi", "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd")):
    ET.register_namespace(prefix, uri)


def local(tag) -> str:
    """'{ns}path' -> 'path' (comments and processing instructions -> '')."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def load_svg(path: Path) -> ET.ElementTree:
    """Parse an .svg or gzip-compressed .svgz file."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return ET.ElementTree(ET.fromstring(data))


def write_svg(tree: ET.ElementTree, path: Path) -> None:
    tree.write(path, encoding="utf-8", xml_declaration=True)


def has_css(tree: ET.ElementTree) -> bool:
    """True when the document styles by CSS classes (a <style> sheet), which this module cannot resolve."""
    return any(local(e.tag) == "style" and (e.text or "").strip() for e in tree.iter())


# --------------------------------------------------------------------------------------- styles

def style_of(element: ET.Element) -> dict[str, str]:
    """The element's own presentation: attributes, overridden by its style="" declarations."""
    props = {k: v for k, v in element.attrib.items() if "}" not in k}
    for decl in element.get("style", "").split(";"):
        if ":" in decl:
            key, value = decl.split(":", 1)
            props[key.strip()] = value.strip()
    return props


def set_style(element: ET.Element, changes: dict[str, str | None]) -> None:
    """Set (or with None remove) properties, in style="" which overrides presentation attributes."""
    props = {}
    for decl in element.get("style", "").split(";"):
        if ":" in decl:
            key, value = decl.split(":", 1)
            props[key.strip()] = value.strip()
    for key, value in changes.items():
        element.attrib.pop(key, None)
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value
    if props:
        element.set("style", ";".join(f"{k}:{v}" for k, v in props.items()))
    else:
        element.attrib.pop("style", None)


def _float(text: str | None, default: float = 1.0) -> float:
    try:
        value = float(str(text).strip().rstrip("%")) / (100.0 if str(text).strip().endswith("%") else 1.0)
    except (TypeError, ValueError):
        return default
    return min(1.0, max(0.0, value))


def parse_colour(text: str | None, gradients: dict[str, tuple], current: str = "black"):
    """(r, g, b) in [0, 1], or None for 'none'/unknown paint. url(#id) -> the gradient's mean stop colour."""
    if text is None:
        return None
    text = text.strip()
    if text.startswith("url("):
        match = re.match(r"url\(\s*['\"]?#([^)'\"]+)['\"]?\s*\)\s*(.*)", text)
        if match and match.group(1) in gradients:
            return gradients[match.group(1)]
        return parse_colour(match.group(2), gradients, current) if match and match.group(2) else None
    if text == "currentColor":
        return parse_colour(current, gradients)
    if text.startswith("#"):
        digits = text[1:]
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        try:
            return tuple(int(digits[i:i + 2], 16) / 255.0 for i in (0, 2, 4))
        except ValueError:
            return None
    match = re.match(r"rgb\(\s*([\d.]+)(%?)\s*,\s*([\d.]+)(%?)\s*,\s*([\d.]+)(%?)\s*\)", text)
    if match:
        parts = match.groups()
        return tuple(float(parts[i]) / (100.0 if parts[i + 1] else 255.0) for i in (0, 2, 4))
    return NAMED.get(text.lower())


def luminance(rgb: tuple[float, float, float]) -> float:
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]


def gradient_colours(root: ET.Element) -> dict[str, tuple]:
    """{gradient id: mean colour of its stops}, following xlink:href to a gradient that holds the stops.
    See gradient_opacities for their mean stop-opacity."""
    return {k: v[:3] for k, v in _gradient_stops(root).items()}


def gradient_opacities(root: ET.Element) -> dict[str, float]:
    """{gradient id: mean stop-opacity}: a gradient fading to transparent (a soft drop shadow) is
    translucent paint, not ink."""
    return {k: v[3] for k, v in _gradient_stops(root).items()}


def _gradient_stops(root: ET.Element) -> dict[str, tuple]:
    """{gradient id: (r, g, b, opacity) means over its stops}."""
    stops, links = {}, {}
    for element in root.iter():
        if local(element.tag) not in ("linearGradient", "radialGradient") or not element.get("id"):
            continue
        colours = [(parse_colour(style_of(s).get("stop-color", "black"), {}), _float(style_of(s).get("stop-opacity")))
                   for s in element if local(s.tag) == "stop"]
        colours = [(*c, a) for c, a in colours if c is not None]
        if colours:
            stops[element.get("id")] = tuple(sum(c[i] for c in colours) / len(colours) for i in range(4))
        href = element.get(f"{{{XLINK}}}href") or element.get("href")
        if href and href.startswith("#"):
            links[element.get("id")] = href[1:]
    for gid, target in links.items():
        seen = set()
        while gid not in stops and target in links and target not in seen:
            seen.add(target)
            target = links[target]
        if gid not in stops and target in stops:
            stops[gid] = stops[target]
    return stops


# --------------------------------------------------------------------------------------- versions

def _drop_filters(root: ET.Element) -> None:
    for element in root.iter():
        if "filter" in style_of(element):
            set_style(element, {"filter": None})


def colour_version(tree: ET.ElementTree) -> ET.ElementTree:
    """The document as drawn, less its filters (see the module docstring)."""
    out = copy.deepcopy(tree)
    _drop_filters(out.getroot())
    return out


def _ink_paint(paint, opacity: float, minimum: float, dark_is_ink: bool) -> tuple[str, str]:
    """(paint, opacity) of one fill or stroke: ink '#000000', paper '#ffffff', 'none' where there was
    none, and transparent paper where it is translucent (kept, so the render's extents do not change)."""
    if paint is None:
        return "none", "1"
    if opacity < minimum:
        return "#ffffff", "0"
    if dark_is_ink:
        return ("#000000" if luminance(paint) < DARK and max(paint) < DARK_MAX else "#ffffff"), "1"
    return ("#ffffff" if luminance(paint) > LIGHT else "#000000"), "1"


def _paint_alpha(paint: str, alphas: dict[str, float]) -> float:
    """The mean stop-opacity of a url(#gradient) paint; 1 for anything else."""
    match = re.match(r"url\(\s*['\"]?#([^)'\"]+)", paint.strip())
    return alphas.get(match.group(1), 1.0) if match else 1.0


def ink_version(tree: ET.ElementTree) -> ET.ElementTree:
    """Black ink on white paper from the same geometry (see the module docstring)."""
    out = copy.deepcopy(tree)
    root = out.getroot()
    _drop_filters(root)
    gradients, alphas = gradient_colours(root), gradient_opacities(root)
    initial = {"fill": "black", "stroke": "none", "fill-opacity": "1", "stroke-opacity": "1", "color": "black"}

    def walk(element: ET.Element, inherited: dict[str, str], opacity: float) -> None:
        own = style_of(element)
        props = {**inherited, **{k: own[k] for k in INHERITED if k in own and own[k] != "inherit"}}
        opacity *= _float(own.get("opacity"))
        name = local(element.tag)
        if name in SHAPES:
            fill = parse_colour(props["fill"], gradients, props["color"])
            stroke = parse_colour(props["stroke"], gradients, props["color"])
            fill_alpha = opacity * _float(props["fill-opacity"]) * _paint_alpha(props["fill"], alphas)
            stroke_alpha = opacity * _float(props["stroke-opacity"]) * _paint_alpha(props["stroke"], alphas)
            (fill, fill_alpha), (stroke, stroke_alpha) = (
                _ink_paint(fill, fill_alpha, MIN_FILL_OPACITY, True),
                _ink_paint(stroke, stroke_alpha, MIN_STROKE_OPACITY, False))
            set_style(element, {"fill": fill, "stroke": stroke, "fill-opacity": fill_alpha,
                                "stroke-opacity": stroke_alpha, "opacity": "1"})
        elif "opacity" in own:
            set_style(element, {"opacity": "1"})
        for child in element:
            if local(child.tag) not in ("stop", "metadata", "namedview"):
                walk(child, props, opacity)

    walk(root, initial, 1.0)
    return out


# --------------------------------------------------------------------------------------- elements

def layer_children(root: ET.Element) -> list[ET.Element]:
    """The drawable elements with an id at the top of the document (inside Inkscape layers): in a
    sprite sheet, its sprites."""
    found = []

    def visit(parent: ET.Element) -> None:
        for child in parent:
            name = local(child.tag)
            if name in ("defs", "metadata", "namedview", "title", "desc", "style", "script", "") or \
                    name.startswith("sodipodi"):
                continue
            if name == "g" and child.get(f"{{{INKSCAPE}}}groupmode") == "layer":
                visit(child)
            elif child.get("id") and (name == "g" or name in SHAPES):
                found.append(child)

    visit(root)
    return found


def hidden(element: ET.Element) -> bool:
    props = style_of(element)
    return props.get("display") == "none" or props.get("visibility") == "hidden"


def contains_raster(element: ET.Element) -> bool:
    return any(local(e.tag) == "image" for e in element.iter())
