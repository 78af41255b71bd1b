"""Strict configuration: TOML or dicts into dataclasses, where an unknown key is an error.

Every stage and trainer takes a dataclass config. Pipelines (`pipelines/*.toml`), the shipped configs
(colorize/assets/configs/) and CLI flags are turned into those dataclasses here, so a typo in a key
fails loudly instead of being ignored.

    cfg = from_dict(LineArtConfig, {"sigma": 1.2})      # nested dataclasses and tuples supported
    cfg = load_toml(TrainConfig, "my_train.toml")
    cfg = override(cfg, {"optim.lr": 1e-4})               # dotted keys, as the CLI passes them
    cfg = override(cfg, parse_sets(["trainer.steps=500"]))  # `--set KEY=VALUE`, values read as TOML
    save_json(cfg, run_dir / "config.json")               # the resolved config, beside checkpoints
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import tomllib
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from colorize.errors import ConfigError

T = TypeVar("T")


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    """`X | None` -> (X, True); anything else -> (tp, False)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return tp, False


def _coerce(tp: Any, value: Any, where: str) -> Any:
    """Convert a TOML/JSON value to the annotated type, or raise ConfigError naming `where`."""
    tp, optional = _unwrap_optional(tp)
    if value is None:
        if optional:
            return None
        raise ConfigError(f"{where}: a value is required")
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a table, got {value!r}")
        return from_dict(tp, value, where)
    origin = typing.get_origin(tp)
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        args = typing.get_args(tp)
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(args) != len(value):
                raise ConfigError(f"{where}: expected {len(args)} values, got {len(value)}")
            return tuple(_coerce(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, value)))
        item = args[0] if args else Any
        items = [_coerce(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a table, got {value!r}")
        return dict(value)
    if origin is typing.Literal:
        if value not in typing.get_args(tp):
            choices = ", ".join(repr(a) for a in typing.get_args(tp))
            raise ConfigError(f"{where}: {value!r} is not one of {choices}")
        return value
    if tp is Any:
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected a whole number, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    if tp is Path:
        if not isinstance(value, (str, os.PathLike)):
            raise ConfigError(f"{where}: expected a path, got {value!r}")
        return Path(value)
    return value


def from_dict(cls: type[T], data: dict[str, Any], where: str = "", base: Any = None) -> T:
    """Build dataclass `cls` from `data`; unknown keys and wrongly typed values raise ConfigError.

    Keys missing from `data` take `base`'s values when given, else the field defaults. A nested
    table fills in from its field's default instance (a `default_factory` may return a tuned
    instance, e.g. a colorizer's trainer with EMA on), so a partial TOML table keeps the defaults
    its parent declares, not only the nested class's own.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{where or cls.__name__}: expected a table, got {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        prefix = f"{where}." if where else ""
        known = ", ".join(sorted(fields))
        raise ConfigError(f"unknown config key {prefix}{unknown[0]} (known keys: {known})")
    kwargs = {}
    for name, f in fields.items():
        key = f"{where}.{name}" if where else name
        if name not in data:
            if base is not None:
                kwargs[name] = copy.deepcopy(getattr(base, name))
            continue
        inner, _ = _unwrap_optional(hints[name])
        default = _field_default(f, base)
        if dataclasses.is_dataclass(inner) and isinstance(data[name], dict) and isinstance(default, inner):
            kwargs[name] = from_dict(inner, data[name], key, base=default)
        else:
            kwargs[name] = _coerce(hints[name], data[name], key)
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:  # __post_init__ validation or a missing required field
        raise ConfigError(f"{where or cls.__name__}: {exc}") from None


def _field_default(f: dataclasses.Field, base: Any) -> Any:
    """The value a field has when not given: `base`'s, else its default (factory called), else None."""
    if base is not None:
        return getattr(base, f.name)
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None if f.default is dataclasses.MISSING else f.default


def read_toml(path: str | os.PathLike, kind: str = "config") -> dict[str, Any]:
    """Parse a TOML file; ConfigError naming the file (and `kind`, e.g. "pipeline") on any problem."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{kind} file not found: {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"{kind} {path} is a folder, not a TOML file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None


def load_toml(cls: type[T], path: str | os.PathLike) -> T:
    """Read a TOML file into dataclass `cls` (strict: unknown keys are errors)."""
    return from_dict(cls, read_toml(path))


def to_dict(cfg: Any) -> dict[str, Any]:
    """A dataclass as plain JSON-able data (Paths become strings, tuples lists)."""

    def plain(v: Any) -> Any:
        if dataclasses.is_dataclass(v):
            return {f.name: plain(getattr(v, f.name)) for f in dataclasses.fields(v)}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, Path):
            return str(v)
        return v

    return plain(cfg)


def set_dotted(data: dict[str, Any], dotted: str, value: Any, create: bool = False) -> None:
    """Set `data["a"]["b"] = value` for "a.b"; unless `create`, every part must already exist."""
    node = data
    *parents, leaf = dotted.split(".")
    for p in parents:
        if create and p not in node:
            node[p] = {}
        if not isinstance(node.get(p), dict):
            raise ConfigError(f"unknown config key {dotted}")
        node = node[p]
    if not create and leaf not in node:
        raise ConfigError(f"unknown config key {dotted}")
    node[leaf] = list(value) if isinstance(value, tuple) else value


def override(cfg: T, changes: dict[str, Any]) -> T:
    """Return a copy of `cfg` with dotted keys replaced (`{"optim.lr": 1e-4}`); None values are skipped.

    Strict: an unknown key or a value of the wrong type raises ConfigError, as in a TOML file.
    """
    data = to_dict(cfg)
    for dotted, value in changes.items():
        if value is not None:
            set_dotted(data, dotted, value)
    return from_dict(type(cfg), data)


def parse_value(text: str) -> Any:
    """A `--set` value read as a TOML value (numbers, booleans, lists, quoted strings), else the raw string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_sets(pairs: typing.Iterable[str]) -> dict[str, Any]:
    """`--set` options ("section.key=value", repeatable) -> {dotted key: typed value}, in order."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects KEY=VALUE (e.g. trainer.steps=500), got {pair!r}")
        out[key.strip()] = parse_value(value.strip())
    return out


def changed_keys(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two plain config dicts (as to_dict makes them), sorted."""
    keys = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            keys += changed_keys(a, b, f"{prefix}{key}.")
        elif a != b:
            keys.append(f"{prefix}{key}")
    return keys


def save_json(cfg: Any, path: str | os.PathLike) -> None:
    """Write the resolved config as JSON, atomically (see colorize.images.atomic_path)."""
    from colorize.images import atomic_path

    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(to_dict(cfg), indent=2) + "\n")
