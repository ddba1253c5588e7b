from __future__ import annotations

from typing import TYPE_CHECKING

from prunelint.analysis.lazy import cst
from prunelint.rules.base import Invalid
from prunelint.rules.cst_rule import CstRule

if TYPE_CHECKING:
    import libcst

    from prunelint.analysis.pruning_flow import CallEvent, ScopeFlow


class CausalLmUseCache(CstRule):
    """A causal language model is pruned with its KV cache on.

    With `use_cache=True` (the default of `*ForCausalLM` configs) the forward pass that builds
    the dependency graph also returns `past_key_values`; Torch-Pruning follows those cache
    tensors through every layer and building the pruner can hang (#461, #467). Load the model
    with `use_cache=False`, or set `model.config.use_cache = False` before pruning.

    Reported at the pruner's construction (or `build_dependency`) when its model comes, in the
    same function or module body, from `<X>ForCausalLM.from_pretrained(...)` (or
    `<X>ForConditionalGeneration`), or from a generative auto class (`AutoModelForCausalLM`,
    `AutoModelForSeq2SeqLM`, ...; not `AutoModelForImageClassification`, which has no cache)
    without `use_cache=False`, and nothing there sets a
    `use_cache` attribute before the construction. Opt-in: the hang depends on the model and the
    Torch-Pruning version.
    """

    CODE = "PRL501"
    NAME = "causal-lm-use-cache"
    MESSAGE = (
        "`{model}` comes from `{loader}(...)` with the KV cache on. Tracing it for pruning follows "
        "`past_key_values` and can hang (#461, #467). Pass `use_cache=False` to "
        "`from_pretrained`, or set `{model}.config.use_cache = False` before building the pruner."
    )
    DEFAULT_ENABLED = False
    # Words are or-ed across rules, so a common one ("parameters", "compile") would make every
    # training script of a tree without Torch-Pruning be parsed. The rule needs a pruner or a
    # DependencyGraph built in the same scope, which takes a Torch-Pruning import.
    PREFILTER_WORDS = ("torch_pruning",)
    SHARED_PASSES = ("pruning_flow",)

    VALID = [
        """
import torch_pruning as tp
from transformers import AutoModelForCausalLM

model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-2-7b-hf", use_cache=False)
pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp)
""",
        """
import torch_pruning as tp
from transformers import AutoModelForCausalLM
model = AutoModelForCausalLM.from_pretrained(name)
model.config.use_cache = False
pruner = tp.pruner.BasePruner(model, x, importance=imp)
""",
        # Not a causal LM.
        """
import torch_pruning as tp
from transformers import BertModel
model = BertModel.from_pretrained(name)
pruner = tp.pruner.BasePruner(model, x, importance=imp)
""",
        # Keyword arguments that may carry use_cache.
        """
import torch_pruning as tp
from transformers import LlamaForCausalLM
model = LlamaForCausalLM.from_pretrained(name, **load_kwargs)
pruner = tp.pruner.BasePruner(model, x, importance=imp)
""",
    ]

    INVALID = [
        Invalid("""
import torch_pruning as tp
from transformers import AutoModelForCausalLM

model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-2-7b-hf")
pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp)
""", line=6),
        Invalid(
            """
import torch_pruning as tp
from transformers import LlamaForCausalLM
model = LlamaForCausalLM.from_pretrained(name, torch_dtype="auto").cuda()
pruner = tp.pruner.BasePruner(model, x, importance=imp)
""",
            line=5,
        ),
        Invalid(
            """
import torch_pruning as tp
import transformers
def load_and_prune(name, x):
    model = transformers.AutoModelForCausalLM.from_pretrained(name, use_cache=True)
    DG = tp.DependencyGraph().build_dependency(model, example_inputs=x)
""",
            line=6,
        ),
    ]

    def leave_Module(self, original_node: "libcst.Module") -> None:
        from prunelint.analysis.pruning_flow import module_flow

        for scope in module_flow(original_node, self.memo):
            for call in scope.calls:
                model = self._traced_model(call)
                if model is not None:
                    self._check(scope, call, model)

    def _traced_model(self, call: "CallEvent") -> "libcst.BaseExpression | None":
        """The model argument of a pruner construction or a `build_dependency` call."""
        node = call.node
        if self.pruner_class(node) is not None:
            return call.keyword("model") or call.positional(0)
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value in self.api.tracing_methods
            and isinstance(func.value, cst.Call)
            and self.qualified_name(func.value.func) in self.api.dependency_graph_classes
        ):
            return call.keyword("model") or call.positional(0)
        return None

    def _check(self, scope: "ScopeFlow", call: "CallEvent", expr: "libcst.BaseExpression") -> None:
        from prunelint.analysis.collector import dotted_name
        from prunelint.analysis.pruning_flow import bool_literal, strip_same_object, value_at

        if not isinstance(expr, cst.Name):
            return
        value, binding = value_at(scope, expr, call.index, call.chain)
        same = self.api.table("model_wrappers").get("same_object_methods", ())
        value = strip_same_object(value, same)
        if binding is None or not isinstance(value, cst.Call) or not isinstance(value.func, cst.Attribute):
            return
        table = self.api.table("huggingface")
        if value.func.attr.value not in table.get("loaders", ()):
            return
        cls = (dotted_name(value.func.value) or "").rsplit(".", 1)[-1]
        causal = any(cls.endswith(s) for s in table.get("causal_suffixes", ())) or cls in table.get("causal_classes", ())
        if not causal:
            return
        for arg in value.args:
            if arg.star == "**":
                return
            if arg.keyword is not None and arg.keyword.value == "use_cache" and bool_literal(arg.value) is not True:
                return
        if any(b.name.rsplit(".", 1)[-1] == "use_cache" and b.index < call.index for b in scope.bindings):
            return
        loader = dotted_name(value.func) or "from_pretrained"
        self.report(call.node, self.MESSAGE.format(model=expr.value, loader=loader))
