"""Fetch and sort the real cartoon art the real-art default model was trained (and validated) on.

    python pipelines/realart/prepare_art.py ART_ROOT          # then: colorize run pipelines/realart_model.toml

Downloads nothing but packages from the registries pip and apt use (Debian's game-data packages with
`apt-get download`, unpacked with `dpkg -x` and never installed; the `arcade` wheel for Kenney's CC0
sprites), then sorts each source's images into ART_ROOT/src/NAME/{characters,backgrounds,sequences/NAME}
with a source.json (name, version, licence, artist, split) that `colorize clips` reads:

* characters: RGBA with some transparent pixels, at least 32 px, aspect at most 3:1;
* backgrounds: opaque, at least 150 px on the short side;
* sequences: three or more same-sized characters whose names differ only by a trailing number.

removed.txt (beside this file) lists the images taken out by hand after looking at contact sheets
(UI screens, logos, text, photos, black silhouettes, sprite sheets). The split holds out whole
sources (other artists) for validation and benchmarks/bench_real.py; they never enter training.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
ARCADE = "arcade==3.3.3"
IMAGES = "arcade/resources/assets/images"

# name: (split, licence, artist, include roots under the unpacked package, exclude regex)
SOURCES = {
    "arcade": ("train", "CC0-1.0 (Kenney assets; images/License.txt)", "Kenney",
               [f"{IMAGES}/alien", f"{IMAGES}/animated_characters", f"{IMAGES}/enemies"],
               r"dead|_ll|_lr|_ul|_ur"),
    "pingus-data": ("train", "GPL-2+", "Ingo Ruhnke and Pingus contributors",
                    ["usr/share/games/pingus/data/images"],
                    r"core/(editor|menu|misc|cursors|buttons|fonts)|fonts|textures|/ground/|/solid/|worldmap|"
                    r"pingus/player|hotspots/.*exit|liquids"),
    "hedgewars-data": ("train", "GPL-2 (game art; some files MIT/GFDL-1.3/Apache-2.0, see copyright)",
                       "Hedgewars project artists", ["usr/share/games/hedgewars/Data/Themes"],
                       r"(Chunk|amGirder|Girder|LandTex|Border|Flake|Water|Splash|Droplet|icon|Clouds|horizon|"
                       r"LandBackTex|Flakes|SkyL|SkyR|Sky-|[Mm]ask)"),
    "frozen-bubble-data": ("train", "GPL-2", "Frozen Bubble team (A. Amblard-Ladurantie et al.)",
                           ["usr/share/games/frozen-bubble/gfx"],
                           r"flags|font|hiscore|list_arrow|dot_|loading|menu/(?!anims)|key_shortcuts|level_editor|"
                           r"file_list|lose_panel|win_panel|hover|balls|/gen/|chatting|txt_|scroll|mini|shooter|"
                           r"compressor|pause"),
    "warmux-data": ("train", "GPL-2+", "WarMUX team (A. Carré et al.)",
                    ["usr/share/games/warmux/map", "usr/share/games/warmux/object"],
                    r"preview|mini|[Tt]ux|body|foreground|water|bubble"),
    "ceferino-data": ("train", "GPL-2+", "Hugo Ruscitti, Walter Velazquez", ["usr/share/games/ceferino/ima"],
                      r"fuente|barra|cargando|editor|icono|items|niveles|op_items|tiros|tit_|how_to|gaucho|menu"),
    "flare-game": ("heldout", "CC-BY-SA-3.0+ (art), GPL-3+ (code)", "Clint Bellanger and Flare contributors",
                   ["usr/share/games/flare/mods/fantasycore/images/portraits",
                    "usr/share/games/flare/mods/empyrean_campaign/images/parallax",
                    "usr/share/games/flare/mods/fantasycore/images/npcs"], r"^$"),
    "seahorse-adventures": ("heldout", "GPL-2", "The Olde Battleaxe & Friends",
                            ["usr/share/games/seahorse-adventures/data/images",
                             "usr/share/games/seahorse-adventures/data/bkgr"], r"3old|tiles|font"),
    "ardentryst": ("heldout", "CC-BY-SA-3.0 / GPL-3.0+ (art and game)", "Jordan Trudgett",
                   ["usr/share/games/ardentryst/Data/MonsterFrames", "usr/share/games/ardentryst/Data/NPCs",
                    "usr/share/games/ardentryst/Data/StorySceneImages", "usr/share/games/ardentryst/Data"],
                   r"Items|InvItems|Numbers|ObjectIcons|tiles|Fonts|icon|backup|bar|Button|cursor|Cursor|menu|"
                   r"Menu|font|HUD|hud|Pyralis|Nyx|[Ss]pell|[Gg]low|[Ff]ire|[Ss]park|[Mm]agic|[Ee]ffect|Level|"
                   r"[Bb]ubble"),
    "pangzero": ("heldout", "GPL-2+", "UPi", ["usr/share/perl5/auto/share/dist/Games-PangZero"],
                 r"Balls|Hexa|Quad|font|border|bonus|harpoon|icon|gameover|guy"),
}


def fetch(root: Path) -> dict[str, str]:
    """Download and unpack every source under root/x/NAME; returns {name: version}."""
    dl, versions = root / "dl", {}
    dl.mkdir(parents=True, exist_ok=True)
    for name in SOURCES:
        target = root / "x" / name
        if name == "arcade":
            if not list(dl.glob("arcade-*.whl")):
                subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", ARCADE, "-d", str(dl)], check=True)
            if not target.is_dir():
                with zipfile.ZipFile(next(dl.glob("arcade-*.whl"))) as wheel:
                    wheel.extractall(target, [n for n in wheel.namelist() if n.startswith(IMAGES)])
            versions[name] = ARCADE.split("==")[1]
            continue
        if not list(dl.glob(f"{name}_*.deb")):
            subprocess.run(["apt-get", "download", name], cwd=dl, check=True)
        deb = next(dl.glob(f"{name}_*.deb"))
        if not target.is_dir():
            subprocess.run(["dpkg", "-x", str(deb), str(target)], check=True)
        versions[name] = subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], capture_output=True,
                                        text=True, check=True).stdout.strip()
    return versions


def classify(image: np.ndarray) -> str | None:
    """"characters", "backgrounds" or None (too small, too long, or neither) for an image as read."""
    h, w = image.shape[:2]
    if min(h, w) < 32 or max(h, w) / min(h, w) > 3.0:
        return None
    if image.ndim == 3 and image.shape[2] == 4:
        clear = float((image[..., 3] < 16).mean())
        if clear > 0.08:
            return "characters" if clear < 0.97 and max(h, w) <= 1200 else None
    return "backgrounds" if min(h, w) >= 150 else None


def sequence_key(path: str) -> tuple[str, str] | None:
    """(folder, stem without its trailing number) for numbered frames, else None."""
    match = re.match(r"^(.*?)[-_ ]?(\d+)$", os.path.splitext(os.path.basename(path))[0])
    return (os.path.dirname(path), match.group(1)) if match else None


def sort_source(name: str, unpacked: Path, out: Path, removed: set[str]) -> collections.Counter:
    """Copy one source's usable images into out/{characters,backgrounds,sequences/...}."""
    _, _, _, roots, exclude = SOURCES[name]
    files = sorted({str(f) for r in roots for f in (unpacked / r).glob("**/*")
                    if f.suffix.lower() in (".png", ".jpg") and not re.search(exclude, "/" + name + "/" +
                                                                              str(f.relative_to(unpacked)))})
    picked, groups = [], collections.defaultdict(list)
    for f in files:
        image = cv2.imread(f, cv2.IMREAD_UNCHANGED)
        kind = classify(image) if image is not None and image.dtype == np.uint8 else None
        if kind is None:
            continue
        key = sequence_key(f) if kind == "characters" else None
        if key:
            groups[key].append(image.shape[:2])
        picked.append((f, kind, key))
    sequences = {k for k, shapes in groups.items() if len(shapes) >= 3 and len(set(shapes)) == 1}
    counts = collections.Counter()
    for f, kind, key in picked:
        rel = f"{name}/{f[len(str(unpacked)) + 1:]}"
        if key in sequences:
            folder = re.sub(r"[^A-Za-z0-9]+", "_", f"{key[0][len(str(unpacked)) + 1:]}_{key[1]}").strip("_")[-60:]
            dst = f"sequences/{folder}/{os.path.basename(f)}"
        else:
            dst = f"{kind}/" + re.sub(r"[^A-Za-z0-9.]+", "_", rel[len(name) + 1:])[-80:]
        if f"{name}/{dst}" in removed:
            continue
        (out / dst).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, out / dst)
        counts[dst.split("/")[0]] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="folder for downloads (dl/), unpacked packages (x/) and art (src/)")
    args = parser.parse_args()
    versions = fetch(args.root)
    removed = set((HERE / "removed.txt").read_text().split())
    for name, (split, licence, artist, _, _) in SOURCES.items():
        out = args.root / "src" / name
        shutil.rmtree(out, ignore_errors=True)
        counts = sort_source(name, args.root / "x" / name, out, removed)
        origin = "PyPI wheel arcade (Kenney assets)" if name == "arcade" else "Debian bookworm package"
        info = {"name": name, "version": versions[name], "licence": licence, "artist": artist,
                "origin": origin, "split": split}
        (out / "source.json").write_text(json.dumps(info, indent=1))
        print(f"{name} ({split}): {dict(counts)}")


if __name__ == "__main__":
    main()
