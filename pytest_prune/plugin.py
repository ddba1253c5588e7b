"""pytest wiring for pytest_prune: options, marker, fixtures and the terminal summary.

Loaded through the `pytest11` entry point, so it must import without torch: torch and
the checking code are imported inside the fixtures.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional

import pytest

from .devices import parse_device_list
from .errors import DeviceUnavailable, InvalidOption, PruneCheckFailure, TorchMissing

USER_PROPERTY = "prune_check"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("prune", "Torch-Pruning checks (pytest_prune)")
    group.addoption("--prune-devices", default=None,
                    help="comma-separated devices the prune_device fixture runs on (default: cpu,cuda); "
                         "unavailable devices are skipped")
    group.addoption("--prune-probes", default=None,
                    help="default probes for every prune_check: an int (random probes besides the "
                         "importance ranking) or names like 'importance,random:0'")
    group.addoption("--prune-threads", default=None,
                    help="torch intra-op threads for every prune_check (restored afterwards); default: "
                         "torch's own setting. On a loaded machine 1 is often several times faster")
    group.addoption("--prune-verify-suggestions", action="store_true", default=None,
                    help="when a check fails, re-run it with the settings its hints propose and say whether "
                         "they work (at most 2 re-runs per failure)")
    parser.addini("prune_devices", "default for --prune-devices", default="cpu,cuda")
    parser.addini("prune_threads", "default for --prune-threads", default="")


def _threads_setting(config: pytest.Config) -> Optional[int]:
    value = config.getoption("--prune-threads") or config.getini("prune_threads")
    if not value:
        return None
    text = str(value).strip()
    if not text.isdigit() or int(text) < 1:
        raise pytest.UsageError(f"--prune-threads / prune_threads: expected a positive int, got {text!r}")
    return int(text)


def pytest_configure(config: pytest.Config) -> None:
    _threads_setting(config)  # a bad value is a usage error before any test runs
    config.addinivalue_line(
        "markers",
        "prune(**kwargs): default keyword arguments for prune_check in this test, class or module "
        "(e.g. pruning_ratio=0.3, probes=1, ignored_layers=['head'])",
    )
    config.pluginmanager.register(_Summary(), "pytest_prune-summary")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "prune_device" in metafunc.fixturenames:
        option = metafunc.config.getoption("--prune-devices") or metafunc.config.getini("prune_devices")
        devices = parse_device_list(option) or ["cpu"]
        # indirect: availability is decided at setup so that a missing device is a skip.
        metafunc.parametrize("prune_device", devices, ids=devices, indirect=True)


def _require_torch() -> None:
    try:
        import torch  # noqa: F401
        import torch_pruning  # noqa: F401
    except ImportError as exc:
        pytest.fail(str(TorchMissing(exc)), pytrace=False)


@pytest.fixture
def prune_device(request: pytest.FixtureRequest) -> str:
    """A device name from --prune-devices; skips when this machine does not have it."""
    _require_torch()
    from .devices import resolve_device

    name = getattr(request, "param", "cpu")
    try:
        resolve_device(name)
    except DeviceUnavailable as exc:
        pytest.skip(str(exc))
    except InvalidOption as exc:
        pytest.fail(f"--prune-devices: {exc}", pytrace=False)
    return name


def _marker_defaults(request: pytest.FixtureRequest) -> Dict[str, Any]:
    defaults: Dict[str, Any] = {}
    threads = _threads_setting(request.config)
    if threads:
        defaults["threads"] = threads
    if request.config.getoption("--prune-verify-suggestions"):
        defaults["verify_suggestions"] = True
    probes = request.config.getoption("--prune-probes")
    if probes is not None:
        defaults["probes"] = int(probes) if probes.strip().isdigit() else probes
    # iter_markers yields the closest marker first; apply module -> class -> function.
    for mark in reversed(list(request.node.iter_markers("prune"))):
        if mark.args:
            raise pytest.UsageError("@pytest.mark.prune takes keyword arguments only")
        defaults.update(mark.kwargs)
    return defaults


def _record(request: pytest.FixtureRequest, data: Dict[str, Any]) -> None:
    # user_properties travel with the test report, including from xdist workers.
    request.node.user_properties.append((USER_PROPERTY, json.dumps(data, default=str)))


@pytest.fixture
def prune_check(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """prune_check(model, example_inputs, **options) -> PruneReport; see pytest_prune.check_prunable."""
    _require_torch()
    from .check import check_prunable

    defaults = _marker_defaults(request)
    if "prune_device" in request.fixturenames:
        defaults.setdefault("device", request.getfixturevalue("prune_device"))

    def run(model: Any, example_inputs: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        options = {**defaults, **kwargs}
        skipped: Optional[str] = None
        invalid: Optional[str] = None
        failure: Optional[PruneCheckFailure] = None
        try:
            report = check_prunable(model, example_inputs, **options)
        except DeviceUnavailable as exc:
            skipped = str(exc)
        except InvalidOption as exc:
            invalid = str(exc)
        except PruneCheckFailure as exc:
            failure = exc
        # Outside the except blocks so pytest does not print the chained exception.
        if skipped is not None:
            pytest.skip(skipped)
        if invalid is not None:
            pytest.fail(f"prune_check: invalid option: {invalid}", pytrace=False)
        if failure is not None:
            _record(request, {"model": failure.model_name, "device": failure.device,
                              "verdict": f"FAILED ({failure.stage})", "threads": failure.threads,
                              "probes": [name for name, _ in failure.probe_verdicts]})
            pytest.fail(str(failure), pytrace=False)
        _record(request, report.summary_dict())
        return report

    return run


@pytest.fixture
def dependency_graph() -> Callable[..., Any]:
    """dependency_graph(model, example_inputs, **kwargs) -> tp.DependencyGraph, built whatever the
    ambient grad mode, with module modes and RNG state restored."""
    _require_torch()
    from .errors import one_line
    from .graph import build_dependency_graph

    def build(model: Any, example_inputs: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        try:
            return build_dependency_graph(model, example_inputs, **kwargs)
        except Exception as exc:  # noqa: BLE001 - reported as a test failure, not a traceback
            error = one_line(exc)
        # Outside the except block so pytest does not print the chained exception.
        pytest.fail(f"Torch-Pruning could not build the dependency graph of {type(model).__name__}\n"
                    f"  error      : {error}", pytrace=False)

    return build


def _fmt(n: Any) -> str:
    if n is None:
        return "n/a"
    n = float(n)
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.1f}{unit}"
    return f"{int(n)}"


def _threads(r: Dict[str, Any]) -> str:
    return f"  threads {r['threads']}" if r.get("threads") else ""


class _Summary:
    """Collects prune_check results from test reports (xdist workers included) for the summary."""

    def __init__(self) -> None:
        self.results: List[Dict[str, Any]] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return
        for name, value in report.user_properties:
            if name == USER_PROPERTY:
                data = json.loads(value)
                data["nodeid"] = report.nodeid
                self.results.append(data)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.results:
            return
        terminalreporter.section("prune check summary")
        for r in sorted(self.results, key=lambda r: r["nodeid"]):
            if r.get("verdict") == "ok":
                line = (f"{r['nodeid']}: {r['model']} on {r['device']}  "
                        f"params {_fmt(r['params_before'])} -> {_fmt(r['params_after'])}  "
                        f"MACs {_fmt(r['macs_before'])} -> {_fmt(r['macs_after'])}  "
                        f"groups {r['groups']}  probes {len(r['probes'])}{_threads(r)}  ok")
                if r.get("broken_ties"):
                    line += f"  ties broken {len(r['broken_ties'])}: {r['broken_ties'][0].split(' are ')[0]}"
            else:
                line = (f"{r['nodeid']}: {r['model']} on {r['device']}  "
                        f"probes {len(r.get('probes', []))}{_threads(r)}  {r['verdict']}")
            terminalreporter.write_line(line)
