"""Before/after cases of issues 15 and 16, run against whichever pytest_prune is on sys.path:

    PYTHONPATH=<old checkout> python bench/plugin_before_after.py   # e.g. git archive b39bdda pytest_prune
    python bench/plugin_before_after.py

GQA_LIMIT sets time_limit_s for the grouped-query-attention case (default 300).
"""
import sys, time, warnings, os, io, contextlib
warnings.filterwarnings("ignore")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "plugin"))
import torch, torch.nn as nn
torch.set_num_threads(1)
import zoo, prune_models as pm
import pytest_prune
from pytest_prune import check_prunable, PruneCheckFailure
print("using", pytest_prune.__file__)
def run(label, f, show=("stage","hints")):
    t = time.time()
    try:
        r = f()
        ties = getattr(r, "broken_ties", "n/a (no such field)")
        print(f"== {label}: PASS params {r.params_before}->{r.params_after} broken_ties={ties} ({time.time()-t:.1f}s)")
    except PruneCheckFailure as e:
        d = e.diagnosis
        print(f"== {label}: FAIL stage={d.stage!r} error={d.error[:120]!r} ({time.time()-t:.1f}s)")
        for h in d.hints: print("     hint:", h[:200])
        for h in d.detail: print("     detail:", h[:200])
        print("     probes:", e.probe_verdicts)
    except Exception as e:
        import traceback
        tb = traceback.extract_tb(e.__traceback__)[-1]
        print(f"== {label}: RAISED {type(e).__name__}: {str(e)[:150]} at {tb.filename.split('/')[-2:]}:{tb.lineno} ({time.time()-t:.1f}s)")
def z(name, **kw):
    e = zoo.BY_NAME[name]; m, x = e.build(); return check_prunable(m, x, **{**e.check_options(), **kw})
def t5_user_heads():
    e = zoo.BY_NAME["t5"]; m, x = e.build()
    heads = {}
    for mod in m.modules():
        if hasattr(mod, "q") and hasattr(mod, "n_heads"):
            heads[mod.q] = heads[mod.k] = heads[mod.v] = mod.n_heads
    return check_prunable(m, x, num_heads=heads, **e.check_options())
run("t5 (defaults)", lambda: z("t5"))
run("t5 (num_heads given as TP examples)", t5_user_heads)
run("inplace_input", lambda: z("inplace_input"))
run("misspelled pruning_ration", lambda: z("residual", pruning_ration=0.5))
run("generator inputs", lambda: check_prunable(zoo.Residual(), (t for t in [torch.randn(2,3,8,8)])))
run("function as model", lambda: check_prunable(zoo.bert, torch.randn(2,3,8,8)))
run("tied_embeddings", lambda: z("tied_embeddings"))
run("bart (tied shared embedding)", lambda: z("bart"))
run("gpt2", lambda: z("gpt2"))
run("swin", lambda: z("swin"))
run("lstm", lambda: z("lstm"))
def nan_model():
    m = zoo.Residual(); 
    with torch.no_grad(): m.conv1.weight[0,0,0,0] = float("nan")
    return check_prunable(m, torch.randn(2,3,8,8))
run("NaN weight", nan_model)
def meta_model():
    with torch.device("meta"): m = zoo.Residual()
    return check_prunable(m, torch.randn(2,3,8,8))
run("meta model", meta_model)
lim = float(os.environ.get("GQA_LIMIT", "300"))
run(f"llama_gqa (time_limit_s={lim:g})", lambda: z("llama_gqa", time_limit_s=lim))
