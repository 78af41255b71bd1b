"""True artist line-art with its colouring, rendered twice from the same vector drawings.

    python pipelines/svgart/prepare_svg.py ART_ROOT        # then: colorize run pipelines/svgart_model.toml

Downloads Debian packages that ship SVG game art with `apt-get download` and unpacks them with
`dpkg -x` (never installed), then renders every drawing (or, in a sprite sheet, every top-level
element with an id: ktuberling's potato parts, each card of a deck) twice with librsvg's
`rsvg-convert` (Debian librsvg2-bin): once as drawn (the colouring, objects on white paper) and once
as ink (svg_inking.ink_version: strokes and dark shapes black, everything else paper). Whole sheets
and scenes are rendered too. Each source becomes one folder of pairs that `colorize train` reads as
true line-art (`[data] paired_folders = true`):

    ART_ROOT/pairs/NAME/colour/NNNN.png   H x W x 3 colouring on white (long side 256-448 px)
                       /lineart/NNNN.png  H x W line-art, same geometry, 0 ink / 255 paper
                       /source.json       name, package, version, licence, artist, split, and per pair
                                          its file, element id and kind (element / sheet)

A pair is kept when its ink covers 0.5-45 % of the image and at least 4 % of the painted area
(outlined art: fills-only drawings have hardly any ink), at least COVERAGE of the colouring's edges
lie next to ink (every painted area is drawn around), paint shows beyond the ink, and it is not
(near-)identical to an earlier pair of the source; at most MAX_PER_SOURCE pairs per source (a
seeded sample). The split holds out whole sources by other artists; their pairs are for evaluation
only (benchmarks/bench_svg.py), never training.

Left out: inkscape-tutorials (tutorial pages: text and diagrams, not drawings); the GNOME games
(blinken, gnome-chess, gnome-nibbles, five-or-more, tali, swell-foop, gnome-mines: downloaded, never
rendered), whose art may share the held-out Tango icons' artists and style.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from svg_inking import (colour_version, contains_raster, has_css, hidden, ink_version, layer_children,  # noqa: E402
                        load_svg, write_svg)

MAX_PER_SOURCE = 400
SIZES = (256, 448)            # long side of a render, drawn per pair
INK = (0.005, 0.45)           # allowed fraction of ink pixels in the line-art
COVERAGE = 0.7                # least share of the colouring's edges that must lie within 3 px of ink

# name: (split, package, files under the unpacked package (globs), licence, artist[, "whole"]):
# "whole" renders each file once (one drawing per file: icons, pieces); otherwise the whole sheet and
# each of its top-level elements with an id.
SOURCES = {
    "ktuberling": ("train", "ktuberling-data", ["usr/share/ktuberling/pics/*.svg*"],
                   "GPL-2+ (pics/moon.svg: CC-BY)", "ktuberling theme artists (KDE)"),
    "cards": ("train", "kdegames-card-data-kf5", ["usr/share/carddecks/svg-*/*.svg*"],
              "GPL-2+ / LGPL-2 (per deck, see copyright)", "KDE card deck artists (16 decks)"),
    "kgoldrunner": ("train", "kgoldrunner", ["usr/share/kgoldrunner/themes/*/*.svg*"],
                    "GPL-2+", "KGoldrunner theme artists (KDE)"),
    "killbots": ("train", "killbots", ["usr/share/killbots/themes/*.svg*"], "GPL-2+", "Killbots artists (KDE)"),
    "kbreakout": ("train", "kbreakout", ["usr/share/kbreakout/themes/*.svg*"], "GPL-2+", "KBreakout artists (KDE)"),
    "knavalbattle": ("train", "knavalbattle", ["usr/share/knavalbattle/pictures/*.svg*"], "GPL-2+",
                     "KNavalBattle artists (KDE)"),
    "kmines": ("train", "kmines", ["usr/share/kmines/themes/*.svg*"], "GPL-2+", "KMines theme artists (KDE)"),
    "kbounce": ("train", "kbounce", ["usr/share/kbounce/themes/*.svg*"], "LGPL-2+ / CC-BY (see copyright)",
                "KBounce theme artists (KDE)"),
    "granatier": ("train", "granatier", ["usr/share/granatier/themes/*.svg*", "usr/share/granatier/players/*.svg*"],
                  "GPL-2+", "Granatier artists (KDE)"),
    "gnome-robots": ("train", "gnome-robots", ["usr/share/gnome-robots/themes/*.svg"], "GPL-3+",
                     "GNOME Robots theme artists"),
    "xboard": ("train", "xboard", ["usr/share/games/xboard/themes/*/*.svg"], "GPL-3+",
               "XBoard piece artists", "whole"),
    "kmahjongg-tiles": ("train", "kdegames-mahjongg-data-kf5", ["usr/share/kmahjongglib/tilesets/*.svgz"],
                        "GPL-2+ / CC-BY-SA-3.0 (per tileset, see its .copyright)", "KMahjongg tileset artists"),
    "tango": ("heldout", "tango-icon-theme", ["usr/share/icons/Tango/scalable/*/*.svg"], "public-domain",
              "Tango Desktop Project (U. Perusin, S. Garrity, J. Steiner et al.)", "whole"),
    "kdiamond": ("heldout", "kdiamond", ["usr/share/kdiamond/themes/*.svg*"], "GPL-2+ (themes), LGPL-2+",
                 "KDiamond theme artists (KDE; funny_zoo theme)"),
    "kapman": ("heldout", "kapman", ["usr/share/kapman/themes/*.svg*"], "GPL-2+ / LGPL-2.1+",
               "Kapman theme artists (KDE)"),
    # Appended for the drawings model's second round, after the sources above so their seeds stay.
    # KDE games only: GNOME games' art may share the held-out Tango icons' artists and style.
    "kpat": ("train", "kpat", ["usr/share/kpat/themes/*.svg*"], "GPL-2+ / LGPL-2+", "KPatience theme artists (KDE)"),
    "klines": ("train", "klines", ["usr/share/klines/themes/*.svg*"], "GPL-2+", "KLines theme artists (KDE)"),
    "kblocks": ("train", "kblocks", ["usr/share/kblocks/themes/*.svg*"], "GPL-2+", "KBlocks theme artists (KDE)"),
    "kigo": ("train", "kigo", ["usr/share/kigo/themes/*.svg*"], "GPL-2+", "Kigo theme artists (KDE)"),
    "klickety": ("train", "klickety", ["usr/share/klickety/themes/*.svg*"], "GPL-2+",
                 "Klickety theme artists (KDE)"),
    "kfourinline": ("train", "kfourinline", ["usr/share/kfourinline/grafix/*.svg*"], "GPL-2+",
                    "KFourInLine artists (KDE)"),
    "ksirk": ("train", "ksirk", ["usr/share/ksirk/skins/*/Images/*.svg*"], "GPL-2+ / LGPL-2+", "KsirK artists (KDE)"),
    "picmi": ("train", "picmi", ["usr/share/picmi/themes/*.svg*"], "GPL-2+", "Picmi artists (KDE)"),
    "kreversi": ("train", "kreversi", ["usr/share/kreversi/pics/*.svg*"], "GPL-2+", "KReversi artists (KDE)"),
    "bomber": ("train", "bomber", ["usr/share/bomber/themes/*.svg*"], "LGPL-2+", "bomber artists (KDE)"),
    "knetwalk": ("train", "knetwalk", ["usr/share/knetwalk/themes/*.svg*"], "GPL-2+", "knetwalk artists (KDE)"),
    "kspaceduel": ("train", "kspaceduel", ["usr/share/kspaceduel/sprites/*.svg*"], "GPL-2+", "kspaceduel artists (KDE)"),
    "ksnakeduel": ("train", "ksnakeduel", ["usr/share/ksnakeduel/themes/*.svg*"], "GPL-2+", "ksnakeduel artists (KDE)"),
    "kollision": ("train", "kollision", ["usr/share/kollision/pictures/*.svg*"], "GPL-2+", "kollision artists (KDE)"),
    "kblackbox": ("train", "kblackbox", ["usr/share/kblackbox/pics/*.svg*"], "GPL-2+", "kblackbox artists (KDE)"),
    "kjumpingcube": ("train", "kjumpingcube", ["usr/share/kjumpingcube/pics/*.svg*"], "GPL-2+", "kjumpingcube artists (KDE)"),
    "ksudoku": ("train", "ksudoku", ["usr/share/ksudoku/themes/*.svg*"], "GPL-2+", "ksudoku artists (KDE)"),
    "khangman": ("train", "khangman", ["usr/share/khangman/themes/*.svg*"], "GPL-2+", "khangman artists (KDE)"),
    "bovo": ("train", "bovo", ["usr/share/bovo/themes/*/*.svg*"], "GPL-2+", "bovo artists (KDE)"),
    "kubrick": ("train", "kubrick", ["usr/share/kubrick/themes/*.svg*"], "GPL-2+", "kubrick artists (KDE)"),
    # Icon themes by artists outside the Tango project: outlined, cartoon-like icons (objects on paper).
    "gartoon": ("train", "gnome-icon-theme-gartoon", ["usr/share/icons/gartoon/scalable/*/*.svg"], "GPL-2+",
                "Gartoon icon theme (Zeus, La Mula Francis)", "whole"),
    "nuovo": ("train", "gnome-icon-theme-nuovo", ["usr/share/icons/Nuovo/scalable/*/*.svg",
                                                  "usr/share/icons/Nuovo/scalable/*/*/*.svg"], "GPL-2+",
              "Dropline Nuovo icon theme (Silvestre Herrera)", "whole"),
}


def fetch(root: Path, name: str) -> tuple[Path, str]:
    """Download and unpack one source's package under root/x/PACKAGE; returns (folder, version)."""
    package = SOURCES[name][1]
    dl, target = root / "dl", root / "x" / package
    dl.mkdir(parents=True, exist_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)  # dpkg -x makes the target, not its parents
    if not list(dl.glob(f"{package}_*.deb")):
        subprocess.run(["apt-get", "download", package], cwd=dl, check=True)
    deb = next(dl.glob(f"{package}_*.deb"))
    if not target.is_dir():
        subprocess.run(["dpkg", "-x", str(deb), str(target)], check=True)
    version = subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], capture_output=True, text=True,
                             check=True).stdout.strip()
    return target, version


def render(svg: Path, element: str | None, size: int, out: Path) -> np.ndarray | None:
    """rsvg-convert one element (or the whole document) on white, long side `size`; None on failure."""
    cmd = ["rsvg-convert", "-b", "white", "-w", str(size), "-h", str(size), "-a", "-o", str(out), str(svg)]
    if element:
        cmd[1:1] = ["-i", element]
    try:
        subprocess.run(cmd, check=True, capture_output=True, timeout=60)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
        return None
    image = cv2.imread(str(out), cv2.IMREAD_COLOR)
    return None if image is None else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def usable(colour: np.ndarray, line: np.ndarray) -> bool:
    """A pair worth training on: the same size, a plausible amount of ink, and some colour on the paper."""
    if colour.shape[:2] != line.shape or min(line.shape) < 48:
        return False
    ink = line < 128
    painted = colour.min(axis=2) < 235
    paint_only = float((painted & ~ink).mean())   # colour the line-art does not already show
    # Outlined art only: fills-only drawings (no strokes) give almost no ink for their painted area.
    outlined = ink.sum() >= 0.04 * max(1, painted.sum())
    return INK[0] <= float(ink.mean()) <= INK[1] and paint_only > 0.05 and outlined and \
        edge_coverage(colour, line) >= COVERAGE


def edge_coverage(colour: np.ndarray, line: np.ndarray) -> float:
    """Share of the colouring's edges (Canny on lightness and on both chroma axes) within 3 px of ink.

    Low when areas of the colouring have no line around them (pips of a card drawn as fills only, a
    palette, shading with no outline): the line-art would not say where that paint goes.
    """
    lab = cv2.cvtColor(colour, cv2.COLOR_RGB2LAB)
    edges = cv2.Canny(cv2.cvtColor(colour, cv2.COLOR_RGB2GRAY), 60, 160) > 0
    for channel in (1, 2):
        edges |= cv2.Canny(lab[..., channel], 30, 80) > 0
    near_ink = cv2.dilate((line < 128).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    return float((edges & near_ink).sum() / max(1, edges.sum()))


def thumbnail(colour: np.ndarray) -> np.ndarray:
    return cv2.resize(colour, (12, 12), interpolation=cv2.INTER_AREA).astype(np.float32)


def pairs_of_file(svg: Path, tmp: Path, rng: np.random.Generator, whole: bool = False):
    """Yield (element id or None, kind, colour RGB, line-art gray) for one SVG file (with `whole`,
    the document only)."""
    try:
        tree = load_svg(svg)
    except Exception as exc:  # a broken file in a package should not stop the others
        print(f"  skip {svg.name}: {exc}")
        return
    if has_css(tree):
        print(f"  skip {svg.name}: CSS-styled")
        return
    colour_svg, ink_svg = tmp / "colour.svg", tmp / "ink.svg"
    write_svg(colour_version(tree), colour_svg)
    write_svg(ink_version(tree), ink_svg)
    elements = [] if whole else [e for e in layer_children(tree.getroot()) if not hidden(e) and not contains_raster(e)]
    for element in [None] + [e.get("id") for e in elements]:
        if element is None and contains_raster(tree.getroot()):
            continue
        size = int(rng.integers(SIZES[0], SIZES[1] + 1))
        colour = render(colour_svg, element, size, tmp / "c.png")
        line = render(ink_svg, element, size, tmp / "l.png")
        if colour is None or line is None:
            continue
        yield element, "sheet" if element is None else "element", colour, cv2.cvtColor(line, cv2.COLOR_RGB2GRAY)


def build_source(name: str, unpacked: Path, out: Path, seed: int) -> list[dict]:
    """Render, filter and write one source's pairs into out/{colour,lineart}; returns their records."""
    globs, whole = SOURCES[name][2], SOURCES[name][5:] == ("whole",)
    # Icon themes link one drawing under several names: each file once, links not followed.
    files = sorted({f for g in globs for f in unpacked.glob(g) if not f.is_symlink()})
    rng = np.random.default_rng(seed)
    kept, thumbs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for svg in files:
            before = len(kept)
            for element, kind, colour, line in pairs_of_file(svg, Path(tmp), rng, whole):
                if not usable(colour, line):
                    continue
                thumb = thumbnail(colour)
                if any(float(np.abs(thumb - t).mean()) < 4.0 for t in thumbs):
                    continue
                thumbs.append(thumb)
                kept.append(({"svg": str(svg.relative_to(unpacked)), "element": element, "kind": kind}, colour, line))
            if not whole:
                print(f"  {svg.name}: {len(kept) - before} pairs", flush=True)
    if len(kept) > MAX_PER_SOURCE:
        pick = sorted(rng.choice(len(kept), MAX_PER_SOURCE, replace=False))
        kept = [kept[i] for i in pick]
    records = []
    for i, (record, colour, line) in enumerate(kept):
        record["file"] = f"{i:04d}.png"
        cv2.imwrite(str(out / "colour" / record["file"]), cv2.cvtColor(colour, cv2.COLOR_RGB2BGR))
        cv2.imwrite(str(out / "lineart" / record["file"]), line)
        records.append(record)
    return records


def refilter(folder: Path) -> None:
    """Drop the written pairs of one source that `usable` now refuses; source.json is rewritten."""
    info = json.loads((folder / "source.json").read_text())
    kept = []
    for record in info["pairs"]:
        colour = cv2.cvtColor(cv2.imread(str(folder / "colour" / record["file"])), cv2.COLOR_BGR2RGB)
        line = cv2.imread(str(folder / "lineart" / record["file"]), cv2.IMREAD_GRAYSCALE)
        if usable(colour, line):
            kept.append(record)
        else:
            (folder / "colour" / record["file"]).unlink()
            (folder / "lineart" / record["file"]).unlink()
    info["pairs"] = kept
    (folder / "source.json").write_text(json.dumps(info, indent=1))
    print(f"{info['name']} ({info['split']}): {len(kept)} pairs after refiltering")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="folder for downloads (dl/), unpacked packages (x/) and pairs (pairs/)")
    parser.add_argument("--only", nargs="*", default=None, help="build only these sources (default: all)")
    parser.add_argument("--refilter", action="store_true",
                        help="re-apply the pair filter (usable) to pairs already written, renders unchanged")
    args = parser.parse_args()
    if args.refilter:
        for name in SOURCES:
            if not args.only or name in args.only:
                refilter(args.root / "pairs" / name)
        return
    if shutil.which("rsvg-convert") is None:
        sys.exit("rsvg-convert not found: install librsvg2-bin (Debian) or librsvg (elsewhere)")
    for k, name in enumerate(SOURCES):
        if args.only and name not in args.only:
            continue
        split, package, _, licence, artist = SOURCES[name][:5]
        unpacked, version = fetch(args.root, name)
        out = args.root / "pairs" / name
        shutil.rmtree(out, ignore_errors=True)
        (out / "colour").mkdir(parents=True)
        (out / "lineart").mkdir()
        print(f"{name} ({split}):", flush=True)
        records = build_source(name, unpacked, out, seed=1000 + k)
        info = {"name": name, "package": package, "version": version, "licence": licence, "artist": artist,
                "origin": "Debian bookworm package", "split": split, "pairs": records}
        (out / "source.json").write_text(json.dumps(info, indent=1))
        print(f"{name} ({split}): {len(records)} pairs", flush=True)


if __name__ == "__main__":
    main()
