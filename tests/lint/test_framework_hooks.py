"""`[framework_hooks]` in the data (code that frameworks run with autograd off), proved against
the framework itself: Lightning's real loops run a module and a callback that define every
listed hook, and each records the grad mode it ran under. And the `framework-hooks` key that
lets users add their own."""

from __future__ import annotations

import pytest

from prunelint.settings.apidata import load_api_data
from tests.lint.conftest import Result


def _lightning_hooks() -> dict:
    return load_api_data().table("framework_hooks")["lightning"]


def test_every_lightning_hook_listed_runs_with_autograd_off(tmp_path) -> None:
    pl = pytest.importorskip("lightning.pytorch")
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader, TensorDataset

    hooks = _lightning_hooks()
    seen: dict[str, list[tuple[str, bool, bool]]] = {}

    def recorder(name: str, owner: str, returns=None):
        def hook(self, *args, **kwargs):
            seen.setdefault(name, []).append((owner, torch.is_grad_enabled(), torch.is_inference_mode_enabled()))
            if name in ("validation_step", "test_step", "predict_step"):
                return self.layer(args[0][0]).sum()
            return returns

        return hook

    class Module(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(4, 2)

        def training_step(self, batch, batch_idx):
            seen.setdefault("training_step", []).append(("module", torch.is_grad_enabled(), torch.is_inference_mode_enabled()))
            return self.layer(batch[0]).sum()

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    class Recorder(pl.Callback):
        def on_train_epoch_start(self, trainer, pl_module):
            seen.setdefault("on_train_epoch_start", []).append(("callback", torch.is_grad_enabled(), torch.is_inference_mode_enabled()))

    for name in hooks["methods"]:
        if hasattr(pl.LightningModule, name) or name.endswith("_step"):
            setattr(Module, name, recorder(name, "module"))
        if hasattr(pl.Callback, name):
            setattr(Recorder, name, recorder(name, "callback"))

    data = DataLoader(TensorDataset(torch.randn(4, 4)), batch_size=2)
    trainer = pl.Trainer(
        max_epochs=1, limit_train_batches=1, limit_val_batches=1, limit_test_batches=1, limit_predict_batches=1,
        num_sanity_val_steps=0, logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, callbacks=[Recorder()], default_root_dir=tmp_path, accelerator="cpu",
    )
    model = Module()
    torch.set_num_threads(1)
    trainer.fit(model, data, data)
    trainer.validate(model, data, verbose=False)
    trainer.test(model, data, verbose=False)
    trainer.predict(model, data)

    # Every listed hook ran, and every time with autograd off: under no_grad for the validation
    # inside fit, under inference mode in validate, test and predict (the data's effect, the
    # stricter of the two).
    assert sorted(set(hooks["methods"]) - set(seen)) == []
    for name in hooks["methods"]:
        assert all(not grad for _, grad, _ in seen[name]), (name, seen[name])
        assert any(inference for _, _, inference in seen[name]), (name, seen[name])
    assert hooks["effect"] == "inference_mode"
    # Each of the module's and the callback's hooks ran where both define it.
    owners = {name: {owner for owner, _, _ in calls} for name, calls in seen.items()}
    for name in hooks["methods"]:
        if hasattr(pl.Callback, name):
            assert owners[name] == {"module", "callback"}, name
    # The near misses: training runs with autograd on.
    assert all(grad and not inference for _, grad, inference in seen["training_step"] + seen["on_train_epoch_start"])


def test_every_lightning_base_listed_is_a_lightning_class() -> None:
    pytest.importorskip("lightning.pytorch")
    import importlib

    for qualname in _lightning_hooks()["bases"]:
        module, _, name = qualname.rpartition(".")
        try:
            found = getattr(importlib.import_module(module), name)
        except ModuleNotFoundError:
            assert qualname.startswith("pytorch_lightning."), qualname  # the standalone package
            continue
        assert isinstance(found, type) and found.__name__ == name, qualname


CONFIG = """\
[tool.prunelint.framework-hooks.evaluator]
bases = ["myframework.Evaluator"]
methods = ["evaluate_batch"]
effect = "no_grad"
"""

USER_CODE = """\
import torch_pruning as tp
from myframework import Evaluator


class MyEvaluator(Evaluator):
    def evaluate_batch(self, model, x):
        return tp.pruner.BasePruner(model, x, importance=None)

    def train_batch(self, model, x):
        return tp.pruner.BasePruner(model, x, importance=None)
"""


def test_users_add_their_own_framework_hooks(lint, write) -> None:
    write("a.py", USER_CODE)
    assert lint(".", "--no-cache").code == 0
    write("pyproject.toml", CONFIG)
    result: Result = lint(".", "--no-cache", "--output-format", "full")
    assert result.locations() == ["a.py:7:16 PRL001"]
    assert "disabled by `evaluator` in `evaluate_batch`." in result.out
    assert "`evaluator` runs `MyEvaluator.evaluate_batch` under `torch.no_grad()` (configured in `framework-hooks`)." in result.out
    assert "with torch.enable_grad():" in result.out


@pytest.mark.parametrize(
    "table, error",
    [
        ('[tool.prunelint.framework-hooks.x]\nbases = ["a.B"]\neffect = "no_grad"\n', "`framework-hooks.x` needs `methods`"),
        ('[tool.prunelint.framework-hooks.x]\nbases = ["a.B"]\nmethods = ["m"]\neffect = "off"\n', "`framework-hooks.x.effect` must be"),
        ('[tool.prunelint.framework-hooks.x]\nbases = ["a.B"]\nmethods = [""]\n', "`framework-hooks.x.methods` has an empty name"),
        ('[tool.prunelint.framework-hooks.x]\nbases = ["a.B"]\nmethods = ["m"]\nbase = 1\n', "unknown key `base` in `framework-hooks.x`"),
        ('[tool.prunelint]\nframework-hooks = ["a.B"]\n', "`framework-hooks` must be a table of tables"),
    ],
)
def test_framework_hook_config_errors_name_the_file_and_the_key(lint, write, table, error) -> None:
    write("pyproject.toml", table)
    write("a.py", USER_CODE)
    result = lint(".")
    assert result.code == 2
    assert "pyproject.toml: " in result.err and error in result.err, result.err
