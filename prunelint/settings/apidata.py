"""Load the Torch-Pruning and torch API facts from `data/torch_pruning_api.toml`.

The TOML is the source, with the code each fact was read in. `data/torch_pruning_api.json`
beside it is the same data parsed, written by `python -m prunelint.settings.apidata` and read
instead while its checksum says it was written from the TOML as it is: tomllib takes a few
milliseconds of every run for it, JSON a twentieth of one.
"""

from __future__ import annotations

import json
import pkgutil
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, NamedTuple

from prunelint.settings.config import toml_parser

DATA_FILE = "data/torch_pruning_api.toml"
PARSED_FILE = "data/torch_pruning_api.json"

_CORE_TABLES = frozenset({"prefilter", "pruners", "dependency_graph", "grad_modes", "wrappers"})
GRAD_EFFECTS = ("no_grad", "enable_grad", "set_grad_enabled", "inference_mode")


# `getattr(torch_pruning.pruner, name)` with a name known only at runtime is read as the
# attribute `<getattr>` of the module: some pruner class when the module is the pruners'.
GETATTR_PRUNER = "<getattr>"


class GradApi(NamedTuple):
    qualname: str
    effect: str  # one of GRAD_EFFECTS
    on_call: bool = False
    origin: str = ""


@dataclass(frozen=True)
class ApiData:
    prefilter_words: tuple[str, ...]
    # qualified name (every exporting path) -> canonical class name
    pruner_classes: dict[str, str]
    dependency_graph_classes: frozenset[str]
    tracing_methods: frozenset[str]
    grad_apis: dict[str, GradApi]
    # last name of a decorator -> the grad API it wraps
    wrappers: dict[str, GradApi] = field(default_factory=dict)
    # The other tables of the data file, by section name, for the rules that read them
    # (`api.table("importances")`): facts stay in data, not in code. Plain dicts, so that
    # the data can be sent to worker processes; never mutated.
    tables: Mapping[str, Any] = field(default_factory=dict)

    def table(self, name: str) -> Mapping[str, Any]:
        return self.tables.get(name, {})

    def release_name(self, qualname: str) -> str | None:
        """`torch_pruning.x` for a name under a copy of the package inside another one
        (`LLMPruner.torch_pruning.x`), the name itself under the package, else None."""
        package = self.table("pruner_discovery").get("package", "torch_pruning")
        parts = qualname.split(".")
        if package not in parts:
            return None
        return ".".join(parts[parts.index(package):])

    def pruner_class(self, qualname: str) -> str | None:
        """The canonical pruner class a qualified name refers to: a listed one, one reached
        through a copy of the package, or an unlisted `torch_pruning.pruner.*Pruner`."""
        found = self.pruner_classes.get(qualname)
        if found is not None:
            return found
        name = self.release_name(qualname)
        if name is None:
            return None
        found = self.pruner_classes.get(name)
        if found is not None:
            return found
        rules = self.table("pruner_discovery")
        parts = name.split(".")
        last = parts[-1]
        if last == GETATTR_PRUNER and len(parts) >= 3 and parts[1] == rules.get("pruner_module", "pruner"):
            if not set(parts[2:-1]) & set(rules.get("not_in_modules", ())):
                return "BasePruner"  # one of the pruner classes, chosen at runtime
        if (
            len(parts) >= 3
            and parts[1] == rules.get("pruner_module", "pruner")
            and not set(parts[2:-1]) & set(rules.get("not_in_modules", ()))
            and last.endswith(rules.get("suffix", "Pruner"))
            and last[:1].isupper()
            and last not in rules.get("not_pruners", ())
        ):
            return last
        return None

    def is_graph_class(self, qualname: str) -> bool:
        if qualname in self.dependency_graph_classes:
            return True
        name = self.release_name(qualname)
        return name is not None and name in self.dependency_graph_classes

    def with_extensions(
        self,
        *,
        grad_disabling_decorators: dict[str, str],
        pruner_classes: tuple[str, ...],
        framework_hooks: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (),
    ) -> "ApiData":
        """Add the user's own decorators, pruner classes and framework hooks from
        `[tool.prunelint]` (a framework hook of the same name replaces the data's)."""
        wrappers = dict(self.wrappers)
        grad_apis = dict(self.grad_apis)
        for name, effect in grad_disabling_decorators.items():
            api = GradApi(name, effect, origin=f"configured in `grad-disabling-decorators` as `{effect}`")
            if "." in name:
                grad_apis[name] = api
            else:
                wrappers[name] = api
        pruners = dict(self.pruner_classes)
        for name in pruner_classes:
            pruners[name] = name.rsplit(".", 1)[-1]
        words = tuple(dict.fromkeys(self.prefilter_words + tuple(n.rsplit(".", 1)[-1] for n in pruner_classes)))
        return ApiData(
            prefilter_words=words,
            pruner_classes=pruners,
            dependency_graph_classes=self.dependency_graph_classes,
            tracing_methods=self.tracing_methods,
            grad_apis=grad_apis,
            wrappers=wrappers,
            tables=self._with_hooks(framework_hooks),
        )

    def _with_hooks(self, hooks: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...]) -> Mapping[str, Any]:
        if not hooks:
            return self.tables
        merged = dict(self.table("framework_hooks"))
        for name, effect, bases, methods in hooks:
            merged[name] = {
                "label": f"`{name}`",
                "effect": effect,
                "how": ("under `torch.inference_mode()`" if effect == "inference_mode" else "under `torch.no_grad()`")
                + " (configured in `framework-hooks`)",
                "bases": list(bases),
                "methods": list(methods),
            }
        return {**self.tables, "framework_hooks": merged}


@lru_cache(maxsize=1)
def load_api_data() -> ApiData:
    # pkgutil, not importlib.resources: the same loader's get_data (zips too), without
    # importing tempfile and shutil at every start.
    data = pkgutil.get_data("prunelint", DATA_FILE)
    if data is None:  # not an assert: `python -O` drops those
        raise RuntimeError("prunelint's loader cannot read its package data")
    try:
        parsed = pkgutil.get_data("prunelint", PARSED_FILE)
    except OSError:
        parsed = None
    raw = parse_api_file(data, parsed)
    pruners: dict[str, str] = {}
    for cls, modules in raw["pruners"].items():
        for module in modules:
            pruners[f"{module}.{cls}"] = cls
    grad_apis = {
        qualname: GradApi(qualname, spec["effect"], spec.get("on_call", False))
        for qualname, spec in raw["grad_modes"].items()
    }
    for api in grad_apis.values():
        if api.effect not in GRAD_EFFECTS:
            raise ValueError(f"torch_pruning_api.toml: unknown effect {api.effect!r} for {api.qualname}")
    wrappers = {
        name: GradApi(name, spec["effect"], origin=spec.get("origin", name))
        for name, spec in raw.get("wrappers", {}).items()
    }
    return ApiData(
        prefilter_words=tuple(raw["prefilter"]["words"]),
        pruner_classes=pruners,
        dependency_graph_classes=frozenset(raw["dependency_graph"]["classes"]),
        tracing_methods=frozenset(raw["dependency_graph"]["tracing_methods"]),
        grad_apis=grad_apis,
        wrappers=wrappers,
        tables={k: v for k, v in raw.items() if k not in _CORE_TABLES},
    )


def parse_api_file(data: bytes, parsed: bytes | None) -> dict[str, Any]:
    """The API data file's tables: from `parsed` (the JSON) when it was written from these
    very bytes, else parsed from the TOML."""
    if parsed is not None:
        try:
            stored = json.loads(parsed)
        except ValueError:
            stored = None
        if isinstance(stored, dict) and stored.get("crc32") == zlib.crc32(data) and isinstance(stored.get("data"), dict):
            return stored["data"]
    return toml_parser().loads(data.decode("utf-8"))


def parsed_form(data: bytes) -> str:
    """The JSON that stands for the TOML `data`."""
    tables = toml_parser().loads(data.decode("utf-8"))
    return json.dumps({"crc32": zlib.crc32(data), "data": tables}, indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # python -m prunelint.settings.apidata: rewrite the JSON
    package = Path(__file__).resolve().parents[1]
    (package / PARSED_FILE).write_text(parsed_form((package / DATA_FILE).read_bytes()), "utf-8")
