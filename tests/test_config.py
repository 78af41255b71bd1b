"""Strict configs: --set values typed as TOML, unknown keys refused, partial tables, changed keys."""

from __future__ import annotations

import dataclasses

import pytest

from colorize.config import changed_keys, from_dict, override, parse_sets, set_dotted
from colorize.errors import ConfigError


@dataclasses.dataclass
class Inner:
    rate: float = 1.0
    name: str = "a"
    sizes: tuple[int, ...] = (1, 2)


@dataclasses.dataclass
class Outer:
    inner: Inner = dataclasses.field(default_factory=lambda: Inner(rate=0.5))
    steps: int = 10
    path: str | None = None


def test_parse_sets_reads_values_as_toml():
    assert parse_sets(["inner.rate=2", "inner.name=b", "inner.sizes=[3, 4]", "steps = 5", "x.flag=true"]) == {
        "inner.rate": 2, "inner.name": "b", "inner.sizes": [3, 4], "steps": 5, "x.flag": True}
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse_sets(["steps"])


def test_override_is_typed_and_strict():
    cfg = override(Outer(), parse_sets(["inner.rate=2", "inner.sizes=[3]", "path=runs/x"]))
    assert cfg.inner == Inner(rate=2.0, sizes=(3,)) and cfg.path == "runs/x"
    with pytest.raises(ConfigError, match="unknown config key inner.rat"):
        override(Outer(), {"inner.rat": 1.0})
    with pytest.raises(ConfigError, match="steps: expected a whole number, got 'ten'"):
        override(Outer(), parse_sets(["steps=ten"]))


def test_partial_table_keeps_the_parent_default_instance():
    assert from_dict(Outer, {"inner": {"name": "z"}}).inner == Inner(rate=0.5, name="z")
    assert from_dict(Outer, {}).inner.rate == 0.5


def test_set_dotted_and_changed_keys():
    data = {"a": {"b": 1}}
    set_dotted(data, "a.c.d", 2, create=True)
    assert data == {"a": {"b": 1, "c": {"d": 2}}}
    with pytest.raises(ConfigError):
        set_dotted(data, "a.x", 1)
    assert changed_keys({"a": {"b": 1, "c": 2}, "d": 3}, {"a": {"b": 1, "c": 5}, "d": 4}) == ["a.c", "d"]
