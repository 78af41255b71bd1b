"""Keys on both sides, on held-out real-art clips: one true key per shot against two, quality and cost.

    python benchmarks/bench_keys_both.py --clips /work/art/realart/clips/heldout [--backend openvino]
        [--detail 0 3] [--save /tmp/keys_outputs] [--max-clips N]
    python benchmarks/bench_keys_both.py --clips /work/art/realart/clips/heldout --suggest 3 --only-main \
        --cache /tmp/keys_cache --max-clips 4 --json bench_keys_suggested   (adds `colorize keys --max 3`'s keys)
    python benchmarks/bench_keys_both.py --save /tmp/keys_outputs --strip docs/real/keys_strip.png \
        --strip-clip clip_0001 --strip-frames 12 15 18 22 25 --strip-rows 0 1 2
        (a strip from saved outputs, no run; rows 0 1 2 of a --suggest --only-main run: one key, two
        keys, suggested keys, under the truth)

Each shot gets the true colour frame as its key at its first frame ("one key", today's keyframe +
temporal mode) or at its first and last frames ("two keys"): forwards only (the temporal mode as it
was) and both ways (colorize.filters.keyed, what `colorize video` now does with keys). `--detail S`
adds the rows with TemporalConfig(detail=S) (the generator's pull low-passed at S px). Shots come from
each clip's shots.json for the scores, and from the shot detector in the stream, as in `colorize video`.

Scores: PSNR / ΔE2000 on the frames strictly between a shot's first and last frame (neither key is
scored in any row), TC (warp error of the output over the truth's, colorize.metrics.temporal) pooled
over those frames per shot, also per clip. `--suggest N` adds the row "keys suggested by `colorize keys
--max N`" (colorize.jobs.keys.suggest_keys on the clip's colour frames, the true frames at those numbers
are the keys, both ways) and then scores, in every row, only the frames that are a key in no row: the
frames strictly between a shot's first and last frame less the suggested keys, TC over each run of
consecutive scored frames. The generator runs once per clip and key set; the
filters then run on its outputs. Cost: the generator pass and the filter pass, timed per clip
(generator + filter of "two keys, both ways" over "one key"). Never run by the tests.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_real import Scores, read_clip  # noqa: E402
from common import save_results  # noqa: E402

from colorize.engine.model import Colorizer  # noqa: E402
from colorize.filters.keyed import carry_both_ways  # noqa: E402
from colorize.filters.temporal import TemporalConfig, carry_colours  # noqa: E402
from colorize.jobs.keys import suggest_keys  # noqa: E402
from colorize.jobs.colorize.references import follow_references  # noqa: E402


@dataclass(frozen=True)
class Mode:
    name: str
    keys: str          # "one" or "two"
    both_ways: bool
    detail: float = 0.0
    key_carry: float | None = None  # None: keyed.KEY_CARRY
    key_detail: float | None = None  # None: keyed.KEY_DETAIL


def modes(details: list[float], key_carries: list[float]) -> list[Mode]:
    rows = [Mode("one key (first frame; today)", "one", False),
            Mode("two keys, forward only (as before)", "two", False),
            Mode("two keys, both ways", "two", True)]
    for d in details:
        if d > 0:
            rows += [Mode(f"one key, detail {d:g}", "one", False, d), Mode(f"two keys, both ways, detail {d:g}", "two", True, d)]
    rows += [Mode(f"two keys, both ways, key carry {c:g}, key detail {d:g}", "two", True, key_carry=c, key_detail=d)
             for c in key_carries for d in [0.0, *details]]
    return rows


def keyed_frames(frames, numbers: set[int]):
    """The frames with `.key` = their own true colour frame at `numbers`."""
    import dataclasses

    return [dataclasses.replace(f, key=f.image.copy()) if f.index in numbers else f for f in frames]


def scored_runs(starts: list[int], ends: list[int], keys: set[int]) -> list[range]:
    """Runs of consecutive frames strictly between each shot's first and last frame that are not in
    `keys` (runs of one frame included; a run of 2+ gives TC pairs)."""
    runs = []
    for start, end in zip(starts, ends):
        run: list[int] = []
        for i in range(start + 1, end - 1):
            if i in keys:
                runs.append(run)
                run = []
            else:
                run.append(i)
        runs.append(run)
    return [range(r[0], r[-1] + 1) for r in runs if r]


def generate(colorizer: Colorizer, frames, cache: Path | None) -> tuple[list, float]:
    """The generator's ColorizedFrames for keyed frames, and the seconds it took (0 when read
    from `cache`, an npz of a previous run's line-art and colours)."""
    from colorize.engine.model import ColorizedFrame

    if cache is not None and cache.is_file():
        with np.load(cache) as data:
            return [ColorizedFrame(f, line, colour) for f, line, colour in
                    zip(frames, data["lineart"], data["colour"])], 0.0
    start = time.perf_counter()
    items = list(follow_references(frames, colorizer, False, 4, self_reference=False))
    seconds = time.perf_counter() - start
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, lineart=np.stack([i.lineart for i in items]), colour=np.stack([i.colour for i in items]))
    return items, seconds


def run_filter(items, mode: Mode) -> tuple[list[np.ndarray], float]:
    cfg = TemporalConfig.at_working_size(384, detail=mode.detail)
    start = time.perf_counter()
    if mode.both_ways:
        extra = {k: v for k, v in (("key_carry", mode.key_carry), ("key_detail", mode.key_detail)) if v is not None}
        outputs = [item.colour for item in carry_both_ways(items, cfg, **extra)]
    else:
        outputs = [item.colour for item in carry_colours(items, cfg)]
    return outputs, time.perf_counter() - start


def save_strip(saved: Path, clip: str, picks: list[int], path: Path, rows=(0, 2)) -> None:
    """Rows: truth, then saved modes `rows` (default: one key, two keys both ways); columns: frames `picks`."""
    from colorize.images import write_image

    with np.load(saved / f"{clip}.npz") as data:
        names = list(data["names"])
        images = [data["truth"]] + [data[f"m{r}"] for r in rows]
    pad = lambda img: np.pad(img, ((2, 2), (2, 2), (0, 0)), constant_values=255)
    write_image(path, np.concatenate([np.concatenate([pad(r[p]) for p in picks], 1) for r in images], 0))
    print(f"wrote {path} (rows: truth, {', '.join(names[r] for r in rows)}; {clip} frames {picks})")


def speed(colorizer: Colorizer, folders: list[Path], rounds: int) -> None:
    """End to end (generator + temporal filter, the jobs' colour_stream) per clip with one key per
    shot against two, both ways; rounds interleaved on the shared CPU, medians printed."""
    from colorize.jobs.colorize.stream import ColourPlan, colour_stream

    cfg = TemporalConfig.at_working_size(384)
    times: dict[str, list[float]] = {"one key": [], "two keys, both ways": []}
    for _ in range(rounds):
        for folder in folders:
            frames, starts = read_clip(folder)
            ends = [*starts[1:], len(frames)]
            for name, numbers, both in (("one key", set(starts), False),
                                        ("two keys, both ways", set(starts) | {e - 1 for e in ends}, True)):
                plan = ColourPlan(batch_size=4, follow=True, self_reference=False, temporal=cfg, both_ways=both)
                start = time.perf_counter()
                for _item in colour_stream(keyed_frames(frames, numbers), colorizer, plan):
                    pass
                times[name].append(time.perf_counter() - start)
    one, two = (float(np.median(t)) for t in times.values())
    print(f"speed ({len(folders)} clips x {rounds} rounds, median s per clip): one key {one:.2f}, two keys both "
          f"ways {two:.2f}: {two / one:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=Path, default=None)
    parser.add_argument("--strip", type=Path, default=None, help="write a strip PNG from --save's outputs")
    parser.add_argument("--strip-clip", default="clip_0000")
    parser.add_argument("--strip-frames", type=int, nargs="*", default=[6, 9, 12, 15])
    parser.add_argument("--strip-rows", type=int, nargs="*", default=[0, 2], help="saved modes (row numbers) to show")
    parser.add_argument("--model", default=None)
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--detail", type=float, nargs="*", default=[])
    parser.add_argument("--key-carry", type=float, nargs="*", default=[])
    parser.add_argument("--cache", type=Path, default=None, help="folder caching the generator's outputs")
    parser.add_argument("--speed", type=int, default=0, help="only time N interleaved rounds end to end")
    parser.add_argument("--max-clips", type=int, default=None)
    parser.add_argument("--save", type=Path, default=None, help="folder for each clip's outputs (npz)")
    parser.add_argument("--suggest", type=int, default=0, help="add the keys `colorize keys --max N` suggests")
    parser.add_argument("--only-main", action="store_true", help="only the rows one key, two keys both ways (and suggested)")
    parser.add_argument("--json", default=None, help="save the table as benchmarks/results/NAME.json")
    args = parser.parse_args()
    if args.strip is not None:
        save_strip(args.save, args.strip_clip, args.strip_frames, args.strip, tuple(args.strip_rows))
        return
    torch.set_grad_enabled(False)
    colorizer = Colorizer.from_file(args.model, device="cpu", backend=args.backend, size=384)
    folders = sorted(p for p in args.clips.iterdir() if (p / "shots.json").is_file())[:args.max_clips]
    if args.speed:
        speed(colorizer, folders, args.speed)
        return
    rows = modes(args.detail, args.key_carry)
    if args.only_main:
        rows = [rows[0], rows[2]]
    if args.suggest:
        rows.append(Mode(f"keys suggested by `colorize keys --max {args.suggest}`, both ways", "suggested", True))
    suggested: dict[str, list[int]] = {}
    total = {m.name: Scores() for m in rows}
    per_clip: dict[str, dict[str, Scores]] = {}
    cost = {"gen one": 0.0, "gen two": 0.0, "filter one": 0.0, "filter two both": 0.0, "filter two fwd": 0.0}
    for folder in folders:
        frames, starts = read_clip(folder)
        n = len(frames)
        ends = [*starts[1:], n]
        key_sets = {"one": set(starts), "two": set(starts) | {e - 1 for e in ends}}
        if args.suggest:
            suggested[folder.name] = suggest_keys(folder, max_keys=args.suggest)
            key_sets["suggested"] = set(suggested[folder.name])
        runs = scored_runs(starts, ends, key_sets["suggested"] if args.suggest else set())
        generated = {}
        for name, numbers in key_sets.items():
            if not any(m.keys == name for m in rows):
                continue
            cache = args.cache / f"{folder.name}_{name}.npz" if args.cache else None
            generated[name], seconds = generate(colorizer, keyed_frames(frames, numbers), cache)
            cost[f"gen {name}"] = cost.get(f"gen {name}", 0.0) + seconds
        per_clip[folder.name] = {m.name: Scores() for m in rows}
        saved = {}
        for mode in rows:
            outputs, seconds = run_filter(generated[mode.keys], mode)
            if mode.detail == 0 and mode.keys != "suggested":
                cost[{"one": "filter one", "two": "filter two fwd"}[mode.keys] if not mode.both_ways
                     else "filter two both"] += seconds
            saved[mode.name] = np.stack(outputs)
            for shot in runs:
                outs, truth = [outputs[i] for i in shot], [frames[i].image for i in shot]
                total[mode.name].add_shot(outs, truth)
                per_clip[folder.name][mode.name].add_shot(outs, truth)
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            np.savez_compressed(args.save / f"{folder.name}.npz", truth=np.stack([f.image for f in frames]),
                                names=np.array(list(saved)), **{f"m{i}": v for i, v in enumerate(saved.values())})
        line = ", ".join(f"{m.name}: {per_clip[folder.name][m.name].row()['PSNR']:.2f} dB "
                         f"TC {per_clip[folder.name][m.name].row()['TC']:.2f}" for m in rows[:3])
        print(f"  {folder.name}: {line}", flush=True)
    print("\n| keys (held-out real-art clips) | PSNR dB | ΔE2000 | TC | worst clip TC | frames |")
    print("|---|---|---|---|---|---|")
    for mode in rows:
        r = total[mode.name].row()
        worst = max(per_clip[c][mode.name].row()["TC"] for c in per_clip)
        print(f"| {mode.name} | {r['PSNR']:.2f} | {r['ΔE']:.2f} | {r['TC']:.2f} | {worst:.2f} | {r['n']} |")
    print("\nper clip PSNR / ΔE / TC:")
    for clip, table in per_clip.items():
        print(f"  {clip}: " + " | ".join(f"{table[m.name].row()['PSNR']:.2f} / {table[m.name].row()['ΔE']:.2f} / "
                                          f"{table[m.name].row()['TC']:.2f}" for m in rows))
    if suggested:
        print("suggested keys: " + ", ".join(f"{c} {k}" for c, k in suggested.items()))
    if args.json:
        table = [[m.name, total[m.name].row()["PSNR"], total[m.name].row()["ΔE"], total[m.name].row()["TC"],
                  max(per_clip[c][m.name].row()["TC"] for c in per_clip), total[m.name].row()["n"]] for m in rows]
        path = save_results(args.json, {
            "script": "benchmarks/bench_keys_both.py " + " ".join(sys.argv[1:]),
            "conditions": f"{len(folders)} held-out real-art clips (48 frames, 256x256); scored: frames strictly "
                          "between each shot's first and last frame" + (", less the suggested keys" if suggested else ""),
            "columns": ["keys (held-out real-art clips)", "PSNR dB", "ΔE2000", "TC", "worst clip TC", "frames"],
            "formats": [None, "{:.2f}", "{:.2f}", "{:.2f}", "{:.2f}", None], "rows": table,
            "per_clip": {c: {m.name: {k: v for k, v in t[m.name].row().items()} for m in rows}
                         for c, t in per_clip.items()},
            "suggested_keys": suggested})
        print(f"saved {path}")
    one = cost["gen one"] + cost["filter one"]
    two = cost["gen two"] + cost["filter two both"]
    print(f"\ncost over {len(folders)} clips: generator {cost['gen one']:.1f} s (one key) / {cost['gen two']:.1f} s "
          f"(two); temporal filter {cost['filter one']:.1f} s (one key), {cost['filter two fwd']:.1f} s (two, forward "
          f"only), {cost['filter two both']:.1f} s (two, both ways); total two/one = {two / one:.2f}x")


if __name__ == "__main__":
    main()
