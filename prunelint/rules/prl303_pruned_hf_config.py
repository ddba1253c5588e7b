from __future__ import annotations

import ast

from prunelint.model.flow import CallEvent, ScopeFlow, bool_literal, escapes, prune_events, pruned_before
from prunelint.model.names import dotted_name
from prunelint.rules.base import Invalid
from prunelint.rules.flow_rule import FlowRule


class PrunedHfConfig(FlowRule):
    """A pruned Hugging Face model is saved with its old config, or loaded ignoring sizes.

    `save_pretrained` writes `config.json` from `model.config`, which pruning does not touch:
    it still says `hidden_size=768`, `intermediate_size=3072`, `num_attention_heads=12`. Then
    `from_pretrained` builds the unpruned architecture and fails on every mismatched tensor. With
    `ignore_mismatched_sizes=True` it does not fail: it silently re-initialises those weights at
    random, and the pruned checkpoint is lost.

    Reported at `model.save_pretrained(...)` when `model` was surely pruned earlier in the same
    function or module body and nothing assigns a `config` attribute (`model.config.hidden_size
    = ...`, `config.intermediate_size = ...`, `model.config.update(...)`) before the save, nor is
    the model handed to another function after pruning (which may do it). And at any
    `from_pretrained(..., ignore_mismatched_sizes=True)` in a file that uses Torch-Pruning.
    """

    CODE = "PRL303"
    NAME = "pruned-hf-config"
    MESSAGE = "Pruned Hugging Face model saved or loaded inconsistently."
    # Both cases need a file that uses Torch-Pruning; `save_pretrained` alone is in every
    # Hugging Face script.
    PREFILTER_WORDS = ("torch_pruning",)

    STALE_CONFIG = (
        "`{model}` was pruned by `{how}()` but `{model}.config` was not updated before "
        "`{call}()`. config.json still describes the unpruned sizes, so `from_pretrained` "
        "fails or rebuilds the dense model. Set the pruned sizes on `{model}.config` "
        "(e.g. `hidden_size`, `intermediate_size`, `num_attention_heads`) first, or "
        "`torch.save({model})`."
    )
    IGNORE_SIZES = (
        "`ignore_mismatched_sizes=True` silently re-initialises every weight whose shape "
        "differs from the config. A pruned checkpoint loads as random weights. Save the pruned "
        "config with the model instead."
    )

    VALID = [
        """
import torch_pruning as tp
from transformers import BertModel

model = BertModel.from_pretrained("bert-base-uncased")
pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp)
pruner.step()
model.config.hidden_size = model.embeddings.word_embeddings.embedding_dim
model.config.intermediate_size = model.encoder.layer[0].intermediate.dense.out_features
model.save_pretrained("bert-pruned")
""",
        """
import torch_pruning as tp
from transformers import AutoModel
model = AutoModel.from_pretrained(name)
pruner = tp.pruner.BasePruner(model, x, importance=imp)
pruner.step()
model.config.hidden_size = new_hidden
model.save_pretrained("out")
""",
        # Saved before pruning.
        """
import torch_pruning as tp
model.save_pretrained("dense")
pruner = tp.pruner.BasePruner(model, x, importance=imp)
pruner.step()
""",
        # The tokenizer is not the model.
        """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp)
pruner.step()
tokenizer.save_pretrained("out")
""",
        # Handed to a function that may fix the config.
        """
import torch_pruning as tp
pruner = tp.pruner.BasePruner(model, x, importance=imp)
pruner.step()
update_config(model)
model.save_pretrained("out")
""",
        """
import torch_pruning as tp
from transformers import AutoModel
model = AutoModel.from_pretrained(path, ignore_mismatched_sizes=False)
""",
    ]

    VALID = VALID + [
        # Fine-tuning with new labels, in a file without Torch-Pruning.
        """
from transformers import AutoModelForSequenceClassification
model = AutoModelForSequenceClassification.from_pretrained("bert-base-uncased", num_labels=3, ignore_mismatched_sizes=True)
""",
    ]

    INVALID = [
        Invalid("""
import torch_pruning as tp
from transformers import BertModel

model = BertModel.from_pretrained("bert-base-uncased")
pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp)
pruner.step()
model.save_pretrained("bert-pruned")
""", line=8),
        Invalid(
            """
import torch_pruning as tp
from transformers import AutoModelForCausalLM
model = AutoModelForCausalLM.from_pretrained(name)
pruner = tp.pruner.BasePruner(model, x, importance=imp)
for g in pruner.step(interactive=True):
    g.prune()
model.save_pretrained("pruned")
""",
            line=8,
        ),
        Invalid(
            """
import torch_pruning as tp
from transformers import AutoModelForSequenceClassification
model = AutoModelForSequenceClassification.from_pretrained("pruned", ignore_mismatched_sizes=True)
""",
            line=4,
        ),
    ]

    def leave_Module(self, node: ast.Module) -> None:
        self._table = self.api.table("huggingface")
        # Fine-tuning a classifier with new labels loads with ignore_mismatched_sizes on purpose:
        # only a file that uses Torch-Pruning is judged (not only files the prefilter let through).
        self._prunes_here = self.names is not None and self.names.imports("torch_pruning")

    def check_scope(self, scope: ScopeFlow) -> None:
        table = self._table
        if self._prunes_here:
            loaders = table.get("loaders", ())
            for call in scope.calls:
                if call.method in loaders and bool_literal(call.keyword("ignore_mismatched_sizes")):
                    self.report(call.node, self.IGNORE_SIZES)
        prunes = prune_events(scope, self)
        if not prunes:
            return
        for call in scope.calls:
            if call.method in table.get("savers", ()) and call.receiver is not None:
                self._check_save(scope, call, prunes)

    def _check_save(self, scope: ScopeFlow, save: CallEvent, prunes: list) -> None:
        model = save.receiver
        assert model is not None
        prune = pruned_before(scope, prunes, model, save.index, save.chain)
        if prune is None:
            return
        if escapes(scope, model.split(".", 1)[0], prune.call.index, None, before=save.index):
            return
        for binding in scope.bindings:
            if binding.index < save.index and ("config" in binding.name.split(".")):
                return
        for call in scope.calls:
            if call.index >= save.index:
                continue
            if call.receiver is not None and call.receiver.split(".")[-1] == "config":
                return  # `model.config.update(...)`
            if any(_ends_in_config(a) for a in call.node.args) or any(
                _ends_in_config(k.value) for k in call.node.keywords
            ):
                return  # `setattr(model.config, ...)`
        how = prune.call.func or "prune"
        self.report(save.node, self.STALE_CONFIG.format(model=model, how=how, call=save.func))


def _ends_in_config(arg: ast.expr) -> bool:
    """An argument (`*x` read as `x`, as libcst's Arg.value was) naming a `config` attribute."""
    if type(arg) is ast.Starred:
        arg = arg.value
    return (dotted_name(arg) or "").split(".")[-1] == "config"
