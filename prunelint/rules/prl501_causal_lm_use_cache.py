from __future__ import annotations

import ast

from prunelint.model.flow import CallEvent, ScopeFlow, bool_literal, strip_same_object, value_at
from prunelint.model.names import dotted_name
from prunelint.rules.base import Invalid
from prunelint.rules.flow_rule import FlowRule


class CausalLmUseCache(FlowRule):
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

    def check_scope(self, scope: ScopeFlow) -> None:
        for call in scope.calls:
            model = self._traced_model(call)
            if model is not None:
                self._check(scope, call, model)

    def _traced_model(self, call: CallEvent) -> ast.expr | None:
        """The model argument of a pruner construction or a `build_dependency` call."""
        node = call.node
        if self.pruner_class(node) is not None:
            return call.keyword("model") or call.positional(0)
        func = node.func
        if (
            type(func) is ast.Attribute
            and func.attr in self.api.tracing_methods
            and type(func.value) is ast.Call
            and self.qualified_name(func.value.func) in self.api.dependency_graph_classes
        ):
            return call.keyword("model") or call.positional(0)
        return None

    def _check(self, scope: ScopeFlow, call: CallEvent, expr: ast.expr) -> None:
        if type(expr) is not ast.Name:
            return
        value, binding = value_at(scope, expr, call.index, call.chain)
        same = self.api.table("model_wrappers").get("same_object_methods", ())
        value = strip_same_object(value, same)
        if binding is None or type(value) is not ast.Call or type(value.func) is not ast.Attribute:
            return
        table = self.api.table("huggingface")
        if value.func.attr not in table.get("loaders", ()):
            return
        cls = (dotted_name(value.func.value) or "").rsplit(".", 1)[-1]
        causal = any(cls.endswith(s) for s in table.get("causal_suffixes", ())) or cls in table.get("causal_classes", ())
        if not causal:
            return
        for keyword in value.keywords:
            if keyword.arg is None:  # `**kwargs`
                return
            if keyword.arg == "use_cache" and bool_literal(keyword.value) is not True:
                return
        if any(b.name.rsplit(".", 1)[-1] == "use_cache" and b.index < call.index for b in scope.bindings):
            return
        loader = dotted_name(value.func) or "from_pretrained"
        self.report(call.node, self.MESSAGE.format(model=expr.id, loader=loader))
