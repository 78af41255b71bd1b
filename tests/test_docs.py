"""The front door stays a front door: README length and first lines, and docs/benchmarks.md's tables
matching their JSON in benchmarks/results/ (rendered by benchmarks/make_tables.py)."""

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _make_tables():
    spec = importlib.util.spec_from_file_location("make_tables", ROOT / "benchmarks" / "make_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_starts_with_the_two_set_up_commands_and_stays_short():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert lines[2] == "```bash" and lines[3].startswith("pip install -e . && colorize video samples/real/sample.mp4")
    assert lines[4] == 'pip install -e ".[test]" && python -m pytest -q'
    assert len(lines) <= 250
    picture = next(i for i, line in enumerate(lines) if line.startswith("!["))
    assert picture < 40, "a picture of a result within the first screen"


def test_local_links_of_the_readme_and_docs_resolve():
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text()):
            if not target.startswith(("http://", "https://")):
                assert (doc.parent / target).exists(), f"{doc.name} links {target}"


def test_benchmark_tables_are_rendered_from_their_json():
    make_tables = _make_tables()
    text = make_tables.DOC.read_text()
    assert len(make_tables.BLOCK.findall(text)) >= 10
    assert make_tables.render_doc(text) == text, "run python benchmarks/make_tables.py"


def test_a_table_renders_numbers_at_their_precision_and_cells_as_written():
    make_tables = _make_tables()
    table = {"columns": ["", "a", "b"], "formats": [None, "{:.2f}", "{:#.3g}"],
             "rows": [["x", [1.5, 2.0], {"value": 8.2, "bold": True, "suffix": " *"}], [None, 3, None]]}
    assert make_tables.render_table(table) == ("| | a | b |\n|---|---|---|\n"
                                                  "| x | 1.50 / 2.00 | **8.20 *** |\n| | 3 | |\n")
