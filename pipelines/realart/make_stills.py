"""Held-out stills for benchmarks/bench_real.py: each held-out figure alone, scaled to fit, on a plain or
gradient ground (256x256), with a manifest.json, and each figure's coverage (its alpha, 255 inside the
figure, 0 on the ground) under the same name in ART_ROOT/stills/figures, for `bench_real.py --figures`:
the ground is a random colour this script draws, which no line-art shows.

    python pipelines/realart/make_stills.py ART_ROOT     # after prepare_art.py; writes ART_ROOT/stills/heldout
"""
import json, sys
from pathlib import Path
import cv2, numpy as np
from colorize.data.art import ImageCache, load_sources
from colorize.images import write_image, write_bytes

cv2.setNumThreads(1)
SIZE, N = 256, 40
ROOT = Path(sys.argv[1])
sources = load_sources([ROOT / "src" / n for n in ("flare-game", "seahorse-adventures", "ardentryst", "pangzero")])
out = ROOT / "stills" / "heldout"; out.mkdir(parents=True, exist_ok=True)
figures_out = ROOT / "stills" / "figures"; figures_out.mkdir(parents=True, exist_ok=True)
figures = [(s, f[0]) for s in sources for f in s.figures]
rng = np.random.default_rng(2026)
import re
def group(path):  # poses of one figure (static, rest1, move2 ...) share a group; distinct figures first
    return re.sub(r"_?(static|stopped|rest|move|hurt|attack|dead|walk|left|right|damage)?\d*$", "", path.stem.lower())
seen, ranked = {}, []
for i in rng.permutation(len(figures)):
    g = group(figures[i][1]); ranked.append((seen.get(g, 0), len(ranked), i)); seen[g] = seen.get(g, 0) + 1
order = [i for _, _, i in sorted(ranked)][:N]
print("distinct figures", len(seen))
cache, records = ImageCache(), []
for k, idx in enumerate(order):
    source, path = figures[idx]
    rgba = cache.rgba(path).astype(np.float32)
    ys, xs = np.nonzero(rgba[..., 3] > 8)
    rgba = rgba[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    scale = rng.uniform(0.6, 0.85) * SIZE / max(rgba.shape[:2])
    w, h = max(1, round(rgba.shape[1] * scale)), max(1, round(rgba.shape[0] * scale))
    rgba[..., :3] *= rgba[..., 3:4] / 255.0
    rgba = cv2.resize(rgba, (w, h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    top = rng.integers(150, 256, size=3).astype(np.float32)
    bottom = top if rng.random() < 0.5 else rng.integers(120, 256, size=3).astype(np.float32)
    t = np.linspace(0, 1, SIZE, dtype=np.float32)[:, None, None]
    ground = np.repeat(top * (1 - t) + bottom * t, SIZE, axis=1)
    y0, x0 = (SIZE - h) // 2, (SIZE - w) // 2
    region = ground[y0:y0 + h, x0:x0 + w]
    alpha = np.clip(rgba[..., 3:4] / 255.0, 0, 1)
    region[:] = region * (1 - alpha) + rgba[..., :3]
    name = f"still_{k:03d}.png"
    write_image(out / name, np.clip(ground + 0.5, 0, 255).astype(np.uint8))
    coverage = np.zeros((SIZE, SIZE), np.float32)
    coverage[y0:y0 + h, x0:x0 + w] = alpha[..., 0]
    write_image(figures_out / name, np.clip(coverage * 255 + 0.5, 0, 255).astype(np.uint8))
    records.append({"file": name, "source": source.name, "art": source.relative(path),
                    "ground": "plain" if (top == bottom).all() else "gradient"})
info = [{k: s.info[k] for k in ("name", "version", "licence", "artist")} for s in sources]
write_bytes(out / "manifest.json", json.dumps({"stills": records, "sources": info}, indent=1).encode())
print(len(records), {s.name: sum(r["source"] == s.name for r in records) for s in sources})
