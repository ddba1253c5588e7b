"""A pruning-heavy tree for bench/lint_speed.py, generated deterministically from templates.

The files are written in the styles of the projects that use Torch-Pruning: its own examples
(torchvision and timm pruning, sparse training), YOLO pruning scripts, LLM-Pruner-like scripts
for Hugging Face causal LMs, and BERT/ViT head pruning. Each project has a `pruning.py` module
whose builder functions other scripts call, so the cross-module analysis has work to do, and a
few files hold the pitfalls the rules look for (a pruner built under `torch.no_grad()`, a
frozen model, a ratio of 1.0). Nothing is downloaded; the same seed gives the same bytes.
"""

from __future__ import annotations

import random
import shutil
import textwrap
from pathlib import Path

IMPORTANCES = ("MagnitudeImportance(p=2)", "MagnitudeImportance(p=1)", "TaylorImportance()", "BNScaleImportance()", "LAMPImportance(p=2)", "GroupNormImportance(p=2)")
PRUNERS = ("MetaPruner", "MagnitudePruner", "BNScalePruner", "GroupNormPruner", "BasePruner")
VISION = ("resnet18", "resnet50", "mobilenet_v2", "vgg16_bn", "densenet121", "efficientnet_b0", "regnet_x_1_6gf", "convnext_tiny")
TIMM = ("vit_base_patch16_224", "deit_small_patch16_224", "resnet50d", "convnext_small", "swin_tiny_patch4_window7_224")
LLMS = ("meta-llama/Llama-2-7b-hf", "Qwen/Qwen2-1.5B", "microsoft/phi-2", "mistralai/Mistral-7B-v0.1")
HF_ENCODERS = ("bert-base-uncased", "google/vit-base-patch16-224", "roberta-base")


def _header(rng: random.Random, extra: str = "") -> str:
    lines = ["import argparse", "import os", "import time", "import copy", "import logging"]
    rng.shuffle(lines)
    lines += ["", "import numpy as np", "import torch", "import torch.nn as nn", "import torch.nn.functional as F", "import torch_pruning as tp"]
    if extra:
        lines.append(extra)
    return "\n".join(lines) + "\n\nlogger = logging.getLogger(__name__)\n"


# Helper blocks: the code around the pruning call that makes up most of a real script.
def _helpers(rng: random.Random, count: int) -> str:
    blocks = []
    for index in range(count):
        kind = rng.randrange(8)
        n = f"{index}"
        if kind == 0:
            blocks.append(f'''
class AverageMeter{n}:
    """Computes and stores the average and current value."""

    def __init__(self, name, fmt=":f"):
        self.name = name
        self.fmt = fmt
        self.reset()

    def reset(self):
        self.val = 0
        self.avg = 0
        self.sum = 0
        self.count = 0

    def update(self, val, n=1):
        self.val = val
        self.sum += val * n
        self.count += n
        self.avg = self.sum / self.count

    def __str__(self):
        fmtstr = "{{name}} {{val" + self.fmt + "}} ({{avg" + self.fmt + "}})"
        return fmtstr.format(**self.__dict__)
''')
        elif kind == 1:
            blocks.append(f'''
def accuracy_{n}(output, target, topk=(1,)):
    """Computes the accuracy over the k top predictions for the specified values of k."""
    with torch.no_grad():
        maxk = max(topk)
        batch_size = target.size(0)
        _, pred = output.topk(maxk, 1, True, True)
        pred = pred.t()
        correct = pred.eq(target.view(1, -1).expand_as(pred))
        res = []
        for k in topk:
            correct_k = correct[:k].reshape(-1).float().sum(0, keepdim=True)
            res.append(correct_k.mul_(100.0 / batch_size))
        return res
''')
        elif kind == 2:
            blocks.append(f'''
def get_dataloaders_{n}(data_root, batch_size={rng.choice((64, 128, 256))}, workers={rng.choice((2, 4, 8))}):
    from torchvision import datasets, transforms

    normalize = transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    train_tf = transforms.Compose([
        transforms.RandomResizedCrop({rng.choice((224, 192, 160))}),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        normalize,
    ])
    val_tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), normalize])
    train_set = datasets.ImageFolder(os.path.join(data_root, "train"), train_tf)
    val_set = datasets.ImageFolder(os.path.join(data_root, "val"), val_tf)
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=batch_size, shuffle=True, num_workers=workers, pin_memory=True)
    val_loader = torch.utils.data.DataLoader(val_set, batch_size=batch_size, shuffle=False, num_workers=workers)
    return train_loader, val_loader
''')
        elif kind == 3:
            blocks.append(f'''
@torch.no_grad()
def evaluate_{n}(model, loader, device="cuda"):
    model.eval()
    correct, total, loss = 0, 0, 0.0
    for images, targets in loader:
        images, targets = images.to(device), targets.to(device)
        logits = model(images)
        loss += F.cross_entropy(logits, targets, reduction="sum").item()
        correct += (logits.argmax(dim=1) == targets).sum().item()
        total += targets.numel()
    return correct / max(total, 1), loss / max(total, 1)
''')
        elif kind == 4:
            blocks.append(f'''
def train_one_epoch_{n}(model, loader, optimizer, scheduler=None, device="cuda", log_interval={rng.choice((10, 50, 100))}):
    model.train()
    start = time.time()
    for step, (images, targets) in enumerate(loader):
        images, targets = images.to(device, non_blocking=True), targets.to(device, non_blocking=True)
        output = model(images)
        loss = F.cross_entropy(output, targets, label_smoothing={rng.choice((0.0, 0.1))})
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        if step % log_interval == 0:
            logger.info("step %d loss %.4f (%.1fs)", step, loss.item(), time.time() - start)
    return model
''')
        elif kind == 5:
            blocks.append(f'''
def save_checkpoint_{n}(model, optimizer, epoch, path):
    state = {{
        "epoch": epoch,
        "model": model,
        "optimizer": optimizer.state_dict(),
        "timestamp": time.strftime("%Y-%m-%d %H:%M:%S"),
    }}
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    torch.save(state, path)
    logger.info("saved %s", path)


def load_checkpoint_{n}(path, device="cpu"):
    state = torch.load(path, map_location=device, weights_only=False)
    return state["model"], state.get("epoch", 0)
''')
        elif kind == 6:
            blocks.append(f'''
def cosine_lr_{n}(optimizer, base_lr, epochs, warmup={rng.choice((0, 1, 5))}):
    def factor(epoch):
        if epoch < warmup:
            return (epoch + 1) / max(warmup, 1)
        progress = (epoch - warmup) / max(epochs - warmup, 1)
        return 0.5 * (1.0 + np.cos(np.pi * progress))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def count_flops_{n}(model, example_inputs):
    macs, params = tp.utils.count_ops_and_params(model, example_inputs)
    return macs / 1e9, params / 1e6
''')
        else:
            blocks.append(f'''
class Bottleneck{n}(nn.Module):
    expansion = {rng.choice((1, 2, 4))}

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, self.expansion * planes, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(self.expansion * planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != self.expansion * planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(self.expansion * planes),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + self.shortcut(x))
''')
    return "".join(blocks)


def _pruning_module(rng: random.Random) -> str:
    """A project's pruning.py: builder functions that the scripts import."""
    pruner = rng.choice(PRUNERS)
    return _header(rng) + _helpers(rng, rng.randint(5, 8)) + f'''

def build_pruner(model, example_inputs, ratio={rng.choice((0.3, 0.5, 0.7))}, global_pruning=False, steps=1):
    ignored_layers = []
    for m in model.modules():
        if isinstance(m, nn.Linear) and m.out_features == {rng.choice((10, 100, 1000))}:
            ignored_layers.append(m)
    importance = tp.importance.{rng.choice(IMPORTANCES)}
    return tp.pruner.{pruner}(
        model,
        example_inputs,
        importance=importance,
        pruning_ratio=ratio,
        global_pruning=global_pruning,
        iterative_steps=steps,
        ignored_layers=ignored_layers,
    )


def build_graph(model, example_inputs):
    return tp.DependencyGraph().build_dependency(model, example_inputs=example_inputs)


def prune_to(model, example_inputs, target_macs, max_steps={rng.choice((50, 200))}):
    base_macs, _ = tp.utils.count_ops_and_params(model, example_inputs)
    pruner = build_pruner(model, example_inputs, ratio=0.9, steps=max_steps)
    for _ in range(max_steps):
        pruner.step()
        macs, _ = tp.utils.count_ops_and_params(model, example_inputs)
        if macs <= target_macs * base_macs:
            break
    return model
'''


def _vision_script(rng: random.Random, project: str, pitfall: bool) -> str:
    arch = rng.choice(VISION)
    imp = rng.choice(IMPORTANCES)
    uses_builder = rng.random() < 0.5
    build = (
        f"    pruner = build_pruner(model, example_inputs, ratio=args.pruning_ratio, steps=args.iterative_steps)\n"
        if uses_builder
        else f"""    pruner = tp.pruner.{rng.choice(PRUNERS)}(
        model,
        example_inputs,
        importance=tp.importance.{imp},
        iterative_steps=args.iterative_steps,
        pruning_ratio=args.pruning_ratio,
        global_pruning=args.global_pruning,
        ignored_layers=ignored_layers,
    )
"""
    )
    if pitfall:
        # Built inside the evaluation context: the graph is traced without gradients.
        build = "    with torch.no_grad():\n" + textwrap.indent(build, "    ")
    header = _header(rng, f"from {project}.pruning import build_pruner" if uses_builder else "from torchvision import models")
    return header + _helpers(rng, rng.randint(9, 14)) + f'''

def get_args():
    parser = argparse.ArgumentParser(description="Prune {arch} with Torch-Pruning")
    parser.add_argument("--data", default="./data/imagenet")
    parser.add_argument("--epochs", type=int, default={rng.choice((30, 90, 120))})
    parser.add_argument("--lr", type=float, default={rng.choice((0.01, 0.05, 0.1))})
    parser.add_argument("--pruning-ratio", type=float, default={rng.choice((0.3, 0.5, 0.6))})
    parser.add_argument("--iterative-steps", type=int, default={rng.choice((1, 5, 10))})
    parser.add_argument("--global-pruning", action="store_true")
    parser.add_argument("--output", default="checkpoints/{arch}_pruned.pth")
    return parser.parse_args()


def main():
    args = get_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    from torchvision import models as tv_models

    model = tv_models.{arch}(weights="DEFAULT").to(device)
    example_inputs = torch.randn(1, 3, 224, 224, device=device)
    ignored_layers = [m for m in model.modules() if isinstance(m, nn.Linear) and m.out_features == 1000]
    base_macs, base_params = tp.utils.count_ops_and_params(model, example_inputs)
{build}
    for step in range(args.iterative_steps):
        pruner.step()
        macs, params = tp.utils.count_ops_and_params(model, example_inputs)
        logger.info("step %d: MACs %.2fG -> %.2fG, params %.2fM -> %.2fM", step, base_macs / 1e9, macs / 1e9, base_params / 1e6, params / 1e6)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=1e-4)
    torch.save(model, args.output)
    return model, optimizer


if __name__ == "__main__":
    main()
'''


def _yolo_script(rng: random.Random, project: str, pitfall: bool) -> str:
    version = rng.choice(("v5", "v7", "v8"))
    ratio = "1.0" if pitfall else str(rng.choice((0.25, 0.5, 0.75)))
    return _header(rng, "from ultralytics import YOLO") + _helpers(rng, rng.randint(7, 12)) + f'''

def replace_c2f_with_c2f_v2(module):
    for name, child_module in module.named_children():
        if child_module.__class__.__name__ == "C2f":
            setattr(module, name, copy.deepcopy(child_module))
        else:
            replace_c2f_with_c2f_v2(child_module)


def prune_yolo{version}(weights="yolo{version}s.pt", target_prune_rate={ratio}, iterative_steps={rng.choice((4, 8, 16))}, imgsz=640):
    model = YOLO(weights)
    model.model.train()
    replace_c2f_with_c2f_v2(model.model)
    for _, param in model.model.named_parameters():
        param.requires_grad = True
    example_inputs = torch.randn(1, 3, imgsz, imgsz).to(model.device)
    ignored_layers = []
    for m in model.model.modules():
        if m.__class__.__name__ == "Detect":
            ignored_layers.append(m)
    pruner = tp.pruner.GroupNormPruner(
        model.model,
        example_inputs,
        importance=tp.importance.GroupMagnitudeImportance(),
        iterative_steps=iterative_steps,
        pruning_ratio={ratio},
        ignored_layers=ignored_layers,
    )
    base_macs, base_nparams = tp.utils.count_ops_and_params(model.model, example_inputs)
    for i in range(iterative_steps):
        model.model.train()
        pruner.step()
        pruned_macs, pruned_nparams = tp.utils.count_ops_and_params(model.model, example_inputs)
        logger.info("iter %d: %.3f GMACs, %.3f M params", i, pruned_macs / 1e9, pruned_nparams / 1e6)
    return model, base_macs, base_nparams


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", default="yolo{version}s.pt")
    opt = parser.parse_args()
    prune_yolo{version}(opt.weights)
'''


def _llm_script(rng: random.Random, project: str, pitfall: bool) -> str:
    name = rng.choice(LLMS)
    freeze = "    model.requires_grad_(False)\n" if pitfall else ""
    return _header(rng, "from transformers import AutoModelForCausalLM, AutoTokenizer") + _helpers(rng, rng.randint(7, 12)) + f'''

@torch.no_grad()
def eval_ppl(model, tokenizer, device, seqlen=2048, nsamples={rng.choice((40, 128))}):
    from datasets import load_dataset

    testdata = load_dataset("wikitext", "wikitext-2-raw-v1", split="test")
    testenc = tokenizer("\\n\\n".join(testdata["text"]), return_tensors="pt").input_ids
    nlls = []
    for i in range(min(nsamples, testenc.shape[1] // seqlen)):
        batch = testenc[:, i * seqlen:(i + 1) * seqlen].to(device)
        logits = model(batch).logits
        shift_logits = logits[:, :-1, :].contiguous()
        shift_labels = batch[:, 1:]
        loss = nn.CrossEntropyLoss()(shift_logits.reshape(-1, shift_logits.size(-1)), shift_labels.reshape(-1))
        nlls.append(loss.float() * seqlen)
    return torch.exp(torch.stack(nlls).sum() / (len(nlls) * seqlen)).item()


def prune_llm(model_name="{name}", pruning_ratio={rng.choice((0.2, 0.25, 0.5))}, device="cuda"):
    model = AutoModelForCausalLM.from_pretrained(model_name, torch_dtype=torch.float16, device_map=device)
    tokenizer = AutoTokenizer.from_pretrained(model_name)
    model.config.use_cache = False
{freeze}    text = "Hello world."
    inputs = torch.tensor(tokenizer.encode(text)).unsqueeze(0).to(model.device)
    num_heads = {{}}
    for name, m in model.named_modules():
        if name.endswith("self_attn"):
            num_heads[m.q_proj] = model.config.num_attention_heads
            num_heads[m.k_proj] = model.config.num_key_value_heads
            num_heads[m.v_proj] = model.config.num_key_value_heads
    pruner = tp.pruner.MetaPruner(
        model,
        example_inputs=inputs,
        importance=tp.importance.GroupMagnitudeImportance(p=2, group_reduction="mean"),
        global_pruning=False,
        pruning_ratio=pruning_ratio,
        ignored_layers=[model.lm_head],
        num_heads=num_heads,
        prune_num_heads=False,
        prune_head_dims=True,
        head_pruning_ratio=0.0,
        round_to=8,
    )
    pruner.step()
    for name, m in model.named_modules():
        if name.endswith("self_attn"):
            m.hidden_size = m.q_proj.out_features
            m.num_heads = m.hidden_size // m.head_dim
            model.config.num_attention_heads = m.num_heads
    model.config.hidden_size = model.lm_head.in_features
    model.config.intermediate_size = model.model.layers[0].mlp.gate_proj.out_features
    ppl = eval_ppl(model, tokenizer, device)
    logger.info("ppl after pruning: %.2f", ppl)
    model.save_pretrained("pruned-" + model_name.split("/")[-1])
    return model


if __name__ == "__main__":
    prune_llm()
'''


def _hf_script(rng: random.Random, project: str, pitfall: bool) -> str:
    name = rng.choice(HF_ENCODERS)
    return _header(rng, "from transformers import AutoModel, AutoTokenizer") + _helpers(rng, rng.randint(7, 12)) + f'''

def prune_encoder(model_name="{name}", pruning_ratio={rng.choice((0.3, 0.5))}):
    model = AutoModel.from_pretrained(model_name)
    tokenizer = AutoTokenizer.from_pretrained(model_name)
    example_inputs = tokenizer("Hello, my dog is cute", return_tensors="pt")
    num_heads = {{}}
    for m in model.modules():
        if hasattr(m, "query") and hasattr(m, "key") and hasattr(m, "value"):
            num_heads[m.query] = m.num_attention_heads
            num_heads[m.key] = m.num_attention_heads
            num_heads[m.value] = m.num_attention_heads
    imp = tp.importance.{rng.choice(("GroupMagnitudeImportance(p=2)", "GroupTaylorImportance()"))}
    pruner = tp.pruner.BasePruner(
        model,
        example_inputs=dict(example_inputs),
        importance=imp,
        pruning_ratio=pruning_ratio,
        ignored_layers=[model.pooler] if hasattr(model, "pooler") else [],
        num_heads=num_heads,
        prune_num_heads=True,
        prune_head_dims=False,
        head_pruning_ratio=pruning_ratio,
        output_transform=lambda out: out.pooler_output.sum(),
    )
    if isinstance(imp, tp.importance.GroupTaylorImportance):
        model(**example_inputs).last_hidden_state.sum().backward()
    for g in pruner.step(interactive=True):
        g.prune()
    for m in model.modules():
        if hasattr(m, "num_attention_heads") and m in pruner.num_heads:
            m.num_attention_heads = pruner.num_heads[m.query]
            m.attention_head_size = m.query.out_features // m.num_attention_heads
            m.all_head_size = m.query.out_features
    model.config.hidden_size = model.embeddings.word_embeddings.embedding_dim
    return model


if __name__ == "__main__":
    prune_encoder()
'''


def _train_script(rng: random.Random, project: str, pitfall: bool) -> str:
    """A sparse-training loop, as in Torch-Pruning's benchmarks/main.py."""
    reg = rng.choice(("1e-4", "5e-4"))
    return _header(rng, f"from {project}.pruning import build_pruner") + _helpers(rng, rng.randint(9, 14)) + f'''

def train_sparse(model, train_loader, example_inputs, epochs={rng.choice((10, 30))}, lr=0.01, device="cuda"):
    pruner = tp.pruner.GroupNormPruner(
        model,
        example_inputs,
        importance=tp.importance.GroupMagnitudeImportance(p=2),
        pruning_ratio=0.5,
        reg={reg},
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    for epoch in range(epochs):
        model.train()
        pruner.update_regularizer()
        for images, targets in train_loader:
            images, targets = images.to(device), targets.to(device)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images), targets)
            loss.backward()
            pruner.regularize(model)
            optimizer.step()
    pruner.step()
    return model


def finetune_after_pruning(model, loader, example_inputs, device="cuda"):
    pruner = build_pruner(model, example_inputs)
    pruner.step()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    for images, targets in loader:
        optimizer.zero_grad()
        F.cross_entropy(model(images.to(device)), targets.to(device)).backward()
        optimizer.step()
    return model
'''


TEMPLATES = (_vision_script, _yolo_script, _llm_script, _hf_script, _train_script)


def generate(root: Path, files: int = 220, seed: int = 0, torch_pruning_dir: Path | None = None) -> tuple[int, int]:
    """Write the tree under `root` (emptied first); returns (files, lines) written."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    if torch_pruning_dir is not None:
        shutil.copytree(torch_pruning_dir, root / "torch_pruning", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    rng = random.Random(seed)
    written = 0
    per_project = 22
    project_index = 0
    while written < files:
        project = f"proj{project_index:02d}"
        folder = root / "projects" / project
        (folder / "scripts").mkdir(parents=True)
        (folder / "__init__.py").write_text("")
        (folder / "pruning.py").write_text(_pruning_module(rng))
        written += 2
        for index in range(min(per_project, files - written)):
            template = TEMPLATES[rng.randrange(len(TEMPLATES))]
            pitfall = rng.random() < 0.08
            name = f"{template.__name__.strip('_').replace('_script', '')}_{index:02d}.py"
            (folder / "scripts" / name).write_text(template(rng, project, pitfall))
            written += 1
        project_index += 1
    total_files = total_lines = 0
    for path in root.rglob("*.py"):
        total_files += 1
        total_lines += path.read_text("utf-8").count("\n")
    return total_files, total_lines
