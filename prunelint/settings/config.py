"""`[tool.prunelint]` in the nearest pyproject.toml (or `--config FILE`), validated strictly."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from prunelint.settings.patterns import is_plain_name


def toml_parser():
    """tomllib (tomli before Python 3.11), imported when a file is read: an `--isolated` run
    reads none."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    return tomllib


# ruff's default excludes, plus our own cache.
DEFAULT_EXCLUDE = (
    ".bzr", ".direnv", ".eggs", ".git", ".git-rewrite", ".hg", ".ipynb_checkpoints", ".mypy_cache",
    ".nox", ".pants.d", ".pyenv", ".pytest_cache", ".pytype", ".ruff_cache", ".svn", ".tox",
    ".venv", ".vscode", "__pypackages__", "_build", "buck-out", "build", "dist", "node_modules",
    "site-packages", "venv", ".prunelint_cache",
)
OUTPUT_FORMATS = (
    "concise", "full", "json", "json-lines", "junit", "grouped", "github", "gitlab", "pylint",
    "rdjson", "azure", "sarif",
)
# A file larger than this is a PRL000 "too large to analyse" finding, not read: parsing costs
# a few hundred times the file's size in memory (docs/reliability.md).
DEFAULT_MAX_FILE_SIZE = 20 * 1024 * 1024
_UNITS = {"": 1, "b": 1, "kb": 1000, "kib": 1024, "mb": 1000**2, "mib": 1024**2, "gb": 1000**3, "gib": 1024**3}


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    root: str = "."  # patterns in the config are relative to the folder it lives in
    config_file: str | None = None
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    force_exclude: bool = False
    output_format: str = "concise"
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    grad_disabling_decorators: tuple[tuple[str, str], ...] = ()
    extend_pruner_classes: tuple[str, ...] = ()
    # name -> (effect, bases, methods): code a framework runs with autograd off.
    framework_hooks: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = ()
    cache: bool = True
    cache_dir: str = ".prunelint_cache"
    max_file_size: int = DEFAULT_MAX_FILE_SIZE  # bytes

    def with_overrides(self, **changes: Any) -> "Settings":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


_KEYS = {f.name.replace("_", "-"): f.name for f in fields(Settings) if f.name not in ("root", "config_file")}


ECHO_LIMIT = 60  # characters of a bad value repeated in an error message


def bounded(text: str, limit: int = ECHO_LIMIT) -> str:
    """`text` cut to `limit` characters, saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 1]}… ({len(text)} characters)"


def echo(value: Any, limit: int = ECHO_LIMIT) -> str:
    """`value` as an error message repeats it: its repr, at a bounded length."""
    return bounded(repr(value), limit)


def _strings(value: Any, key: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: `{key}` must be a list of strings, got {_kind(value)}")
    for index, item in enumerate(value):
        if not item.strip():
            raise ConfigError(f"{where}: `{key}` has an empty name (item {index + 1} is {item!r})")
    return tuple(value)


def check_patterns(patterns: Any, key: str, where: str) -> None:
    """Every gitignore-style pattern compiles (`[z-a]` does not), or a ConfigError that names
    the file (or option) and the key."""
    patterns = [p for p in patterns if not is_plain_name(p)]
    if not patterns:
        return  # a plain name always compiles: pathspec is not imported
    import pathspec

    for pattern in patterns:
        try:
            pathspec.GitIgnoreSpec.from_lines([pattern])
        except Exception as exc:  # re.error, pathspec's GitIgnorePatternError
            reason = str(exc).split(" at position ")[0]
            raise ConfigError(f"{where}: `{key}` has an invalid pattern {echo(pattern)}: {reason}") from None


def _kind(value: Any) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list", dict: "a table"}.get(
        type(value), type(value).__name__
    )


def _parse_table(table: Any, where: str, root: str, config_file: str) -> Settings:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [tool.prunelint] must be a table")
    values: dict[str, Any] = {"root": root, "config_file": config_file}
    for key, value in table.items():
        name = _KEYS.get(key)
        if name is None:
            valid = ", ".join(sorted(_KEYS))
            raise ConfigError(f"{where}: unknown key `{bounded(key)}` in [tool.prunelint] (valid keys: {valid})")
        if name in ("select", "extend_select", "ignore", "exclude", "extend_exclude", "extend_pruner_classes"):
            values[name] = _strings(value, key, where)
            if name in ("exclude", "extend_exclude"):
                check_patterns(values[name], key, where)
        elif name in ("respect_gitignore", "force_exclude", "cache"):
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: `{key}` must be true or false, got {_kind(value)}")
            values[name] = value
        elif name in ("output_format", "cache_dir"):
            if not isinstance(value, str):
                raise ConfigError(f"{where}: `{key}` must be a string, got {_kind(value)}")
            if name == "output_format" and value not in OUTPUT_FORMATS:
                raise ConfigError(f"{where}: `{key}` must be one of {', '.join(OUTPUT_FORMATS)}, got {echo(value)}")
            if name == "cache_dir" and not value.strip():
                raise ConfigError(f"{where}: `{key}` must name a folder, got {value!r}")
            values[name] = value
        elif name == "per_file_ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: `{key}` must be a table of pattern = [codes], got {_kind(value)}")
            for pattern in value:
                if not pattern.strip():
                    raise ConfigError(f"{where}: `{key}` has an empty pattern ({pattern!r})")
            check_patterns(value, key, where)
            values[name] = tuple(
                (pattern, _strings(codes, f"{key}.{echo(pattern)}", where)) for pattern, codes in value.items()
            )
        elif name == "grad_disabling_decorators":
            values[name] = _decorators(value, key, where)
        elif name == "framework_hooks":
            values[name] = _framework_hooks(value, key, where)
        elif name == "max_file_size":
            values[name] = parse_size(value, key, where)
    return Settings(**values)


def parse_size(value: Any, key: str, where: str) -> int:
    """A size in bytes: a positive integer, or a string such as "20MB", "512 KiB", "1GiB"."""
    if type(value) is int and value > 0:
        return value
    if isinstance(value, str):
        number, unit = value.strip(), ""
        while number and not number[-1].isdigit():
            number, unit = number[:-1], number[-1] + unit
        unit = unit.strip().lower()
        if number.isdigit() and unit in _UNITS and int(number) > 0:
            return int(number) * _UNITS[unit]
    raise ConfigError(
        f"{where}: `{key}` must be a positive number of bytes or a size such as \"20MB\" or \"64MiB\", "
        f"got {echo(value)}"
    )


def _decorators(value: Any, key: str, where: str) -> tuple[tuple[str, str], ...]:
    """A list of names (they disable autograd like no_grad), or a table of name = effect."""
    if isinstance(value, list):
        return tuple((name, "no_grad") for name in _strings(value, key, where))
    if isinstance(value, dict):
        for name, effect in value.items():
            if not name.strip():
                raise ConfigError(f"{where}: `{key}` has an empty name ({name!r})")
            if effect not in ("no_grad", "inference_mode"):
                raise ConfigError(
                    f"{where}: `{key}.{echo(name)}` must be \"no_grad\" or \"inference_mode\", got {echo(effect)}"
                )
        return tuple(value.items())
    raise ConfigError(f"{where}: `{key}` must be a list of names or a table of name = effect, got {_kind(value)}")


def _framework_hooks(value: Any, key: str, where: str) -> tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...]:
    """`[tool.prunelint.framework-hooks.NAME]` tables: `bases` (qualified class names),
    `methods` (the methods of their subclasses that the framework calls) and `effect`."""
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: `{key}` must be a table of tables (`[tool.prunelint.{key}.NAME]`), got {_kind(value)}")
    hooks = []
    for name, spec in value.items():
        here = f"{key}.{bounded(name)}"
        if not name.strip():
            raise ConfigError(f"{where}: `{key}` has an empty name ({name!r})")
        if not isinstance(spec, dict):
            raise ConfigError(f"{where}: `{here}` must be a table with `bases`, `methods` and `effect`, got {_kind(spec)}")
        unknown = sorted(set(spec) - {"bases", "methods", "effect"})
        if unknown:
            raise ConfigError(f"{where}: unknown key `{bounded(unknown[0])}` in `{here}` (valid keys: bases, effect, methods)")
        for part in ("bases", "methods"):
            if part not in spec:
                raise ConfigError(f"{where}: `{here}` needs `{part}`")
        effect = spec.get("effect", "no_grad")
        if effect not in ("no_grad", "inference_mode"):
            raise ConfigError(f"{where}: `{here}.effect` must be \"no_grad\" or \"inference_mode\", got {echo(effect)}")
        hooks.append((name, effect, _strings(spec["bases"], f"{here}.bases", where), _strings(spec["methods"], f"{here}.methods", where)))
    return tuple(hooks)


def _load_toml(path: Path) -> dict[str, Any]:
    tomllib = toml_parser()
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None


def load_config_file(path: str | os.PathLike[str]) -> Settings:
    """`--config FILE`: a pyproject.toml ([tool.prunelint]) or a prunelint.toml (top level)."""
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"{file}: config file not found")
    data = _load_toml(file)
    if file.name == "pyproject.toml":
        tool = data.get("tool", {})
        table = tool.get("prunelint", {}) if isinstance(tool, dict) else {}
    else:
        table = data
    return _parse_table(table, str(file), str(file.resolve().parent), str(file))


def find_settings(start: str | os.PathLike[str] = ".") -> Settings:
    """The nearest pyproject.toml with a [tool.prunelint] table, from `start` upwards."""
    directory = Path(start).resolve()
    for folder in (directory, *directory.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            data = _load_toml(candidate)
            tool = data.get("tool", {})
            if isinstance(tool, dict) and "prunelint" in tool:
                return _parse_table(tool["prunelint"], str(candidate), str(folder), str(candidate))
    return Settings(root=str(directory))


__all__ = ["ConfigError", "DEFAULT_EXCLUDE", "DEFAULT_MAX_FILE_SIZE", "bounded", "check_patterns", "echo", "parse_size", "OUTPUT_FORMATS", "Settings", "find_settings", "load_config_file"]
