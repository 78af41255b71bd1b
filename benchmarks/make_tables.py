"""Render the tables of docs/benchmarks.md from the JSON files in benchmarks/results/.

    python benchmarks/make_tables.py            # rewrite docs/benchmarks.md's generated tables
    python benchmarks/make_tables.py --check    # exit 1 if a table differs from its JSON (no writing)

docs/benchmarks.md marks each generated table with a pair of comments naming its JSON file:

    <!-- table: bench_real -->
    ... (everything in between is replaced) ...
    <!-- /table -->

A results file holds one table: {"columns": [...], "rows": [[cell, ...], ...], "formats": [...]}.
A cell is a number, a string, null (empty), a list of numbers (written "a / b"), or
{"value": cell, "bold": true, "suffix": " *"}. "formats" has one Python format spec per column
(e.g. "{:.2f}", "{:#.3g}", null for strings) applied to its floats, so a figure prints with the
precision it was measured to; integers print as they are. The other keys ("script", "conditions", "source", "measured") say where the figures come from
and are not rendered. Text around the tables is written by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DOC = HERE.parent / "docs" / "benchmarks.md"
BLOCK = re.compile(r"(<!-- table: ([\w.-]+) -->\n)(.*?)(<!-- /table -->)", re.S)


def render_cell(cell, spec: str | None) -> str:
    """One cell as markdown text (see the module docstring for the cell forms)."""
    if isinstance(cell, dict):
        text = render_cell(cell.get("value"), spec) + cell.get("suffix", "")
        return f"**{text}**" if cell.get("bold") else text
    if cell is None:
        return ""
    if isinstance(cell, list):
        return " / ".join(render_cell(c, spec) for c in cell)
    if isinstance(cell, int) and not isinstance(cell, bool):
        return str(cell)   # counts print as they are; formats are for measured figures
    if isinstance(cell, float):
        return (spec or "{}").format(cell)
    return str(cell)


def render_table(table: dict) -> str:
    """A results file's table as markdown lines (header, rule, rows), ending in a newline."""
    columns = table["columns"]
    formats = table.get("formats") or [None] * len(columns)
    line = lambda cells: "|" + "|".join(f" {c} " if c else " " for c in cells) + "|"
    lines = [line(columns), "|" + "---|" * len(columns)]
    lines += [line([render_cell(cell, spec) for cell, spec in zip(row, formats)]) for row in table["rows"]]
    return "\n".join(lines) + "\n"


def render_doc(text: str, results: Path = RESULTS) -> str:
    """text with every marked table replaced by its JSON file's rendering."""

    def replace(match: re.Match) -> str:
        path = results / f"{match.group(2)}.json"
        if not path.is_file():
            raise SystemExit(f"docs/benchmarks.md names {path.name}, which is not in {results}")
        return match.group(1) + render_table(json.loads(path.read_text())) + match.group(4)

    return BLOCK.sub(replace, text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if the doc is stale")
    parser.add_argument("--doc", type=Path, default=DOC)
    args = parser.parse_args()
    text = args.doc.read_text()
    new = render_doc(text)
    if args.check:
        if new != text:
            print(f"{args.doc} is stale: run python benchmarks/make_tables.py", file=sys.stderr)
            sys.exit(1)
        print(f"{args.doc}: {len(BLOCK.findall(text))} tables up to date")
        return
    tmp = args.doc.with_name(f".{args.doc.name}.tmp")
    tmp.write_text(new)
    os.replace(tmp, args.doc)
    print(f"wrote {args.doc} ({len(BLOCK.findall(new))} tables)")


if __name__ == "__main__":
    main()
