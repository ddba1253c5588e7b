"""The model zoo: tiny configs of real architectures (Hugging Face transformers, built from
configs, nothing downloaded) and small custom models with the patterns that break pruning.

Each entry builds a fresh model (seeded) and its inputs. `outputs` names the layers whose
output channels are model outputs: the bare Torch-Pruning runs in bench/zoo_labels.py put
them in ignored_layers by hand, as a user of Torch-Pruning would (the plugin finds them
itself). Labels come from bench/zoo_labels.py (bare Torch-Pruning); nothing here knows them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import torch
import torch.nn as nn

from prune_models import ConcatNet as Concat  # the same two-branch torch.cat model


@dataclass
class Entry:
    name: str
    build: Callable[[], Tuple[nn.Module, Any]]
    outputs: List[str] = field(default_factory=list)  # layers kept unpruned in bare runs
    family: str = "custom"
    # forward_fn for both the bare runs and the plugin: seq2seq models are judged on their logits
    # (their other outputs are hidden states, whose width is what pruning changes).
    forward_fn: Optional[Callable[[nn.Module, Any], Any]] = None

    def check_options(self) -> Dict[str, Any]:
        return {"forward_fn": self.forward_fn} if self.forward_fn else {}


def logits_only(model: nn.Module, inputs: Any) -> Any:
    return model(**inputs).logits


def _seed() -> None:
    torch.manual_seed(0)


def _tokens(vocab: int = 64, shape=(2, 8), seed: int = 0) -> torch.Tensor:
    return torch.randint(0, vocab, shape, generator=torch.Generator().manual_seed(seed))


def _image(shape=(2, 3, 16, 16)) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(1))


# --------------------------------------------------------------------------- Hugging Face


def bert():
    from transformers import BertConfig, BertForSequenceClassification

    _seed()
    c = BertConfig(vocab_size=64, hidden_size=32, num_hidden_layers=1, num_attention_heads=4,
                   intermediate_size=64, max_position_embeddings=32, num_labels=3)
    return BertForSequenceClassification(c).eval(), {"input_ids": _tokens()}


def roberta():
    from transformers import RobertaConfig, RobertaForSequenceClassification

    _seed()
    c = RobertaConfig(vocab_size=64, hidden_size=32, num_hidden_layers=1, num_attention_heads=4,
                      intermediate_size=64, max_position_embeddings=40, num_labels=3, pad_token_id=1)
    return RobertaForSequenceClassification(c).eval(), {"input_ids": _tokens() + 2}


def gpt2():
    from transformers import GPT2Config, GPT2LMHeadModel

    _seed()
    c = GPT2Config(vocab_size=64, n_embd=32, n_layer=1, n_head=4, n_positions=32, use_cache=False,
                   bos_token_id=0, eos_token_id=0)
    return GPT2LMHeadModel(c).eval(), {"input_ids": _tokens()}


def t5():
    from transformers import T5Config, T5ForConditionalGeneration

    _seed()
    c = T5Config(vocab_size=64, d_model=32, d_kv=8, d_ff=64, num_layers=1, num_decoder_layers=1, num_heads=4,
                 use_cache=False, decoder_start_token_id=0)
    return T5ForConditionalGeneration(c).eval(), {"input_ids": _tokens(), "decoder_input_ids": _tokens(seed=1)}


def bart():
    from transformers import BartConfig, BartForConditionalGeneration

    _seed()
    c = BartConfig(vocab_size=64, d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=4,
                   decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=32,
                   use_cache=False)
    return BartForConditionalGeneration(c).eval(), {"input_ids": _tokens(), "decoder_input_ids": _tokens(seed=1)}


def _llama_like(config_cls, model_cls, kv_heads: int):
    _seed()
    c = config_cls(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=4,
                   num_key_value_heads=kv_heads, max_position_embeddings=32, use_cache=False)
    return model_cls(c).eval(), {"input_ids": _tokens()}


def llama():
    from transformers import LlamaConfig, LlamaForCausalLM

    return _llama_like(LlamaConfig, LlamaForCausalLM, 4)


def llama_gqa():
    from transformers import LlamaConfig, LlamaForCausalLM

    return _llama_like(LlamaConfig, LlamaForCausalLM, 2)


def qwen2_gqa():
    from transformers import Qwen2Config, Qwen2ForCausalLM

    return _llama_like(Qwen2Config, Qwen2ForCausalLM, 2)


def mistral_gqa():
    from transformers import MistralConfig, MistralForCausalLM

    return _llama_like(MistralConfig, MistralForCausalLM, 2)


def vit():
    from transformers import ViTConfig, ViTForImageClassification

    _seed()
    c = ViTConfig(image_size=16, patch_size=8, num_channels=3, hidden_size=32, num_hidden_layers=1,
                  num_attention_heads=4, intermediate_size=64, num_labels=3)
    return ViTForImageClassification(c).eval(), _image()


def deit():
    from transformers import DeiTConfig, DeiTForImageClassification

    _seed()
    c = DeiTConfig(image_size=16, patch_size=8, num_channels=3, hidden_size=32, num_hidden_layers=1,
                   num_attention_heads=4, intermediate_size=64, num_labels=3)
    return DeiTForImageClassification(c).eval(), _image()


def swin():
    from transformers import SwinConfig, SwinForImageClassification

    _seed()
    c = SwinConfig(image_size=16, patch_size=2, num_channels=3, embed_dim=16, depths=[1, 1], num_heads=[2, 4],
                   window_size=4, mlp_ratio=2.0, num_labels=3)
    return SwinForImageClassification(c).eval(), _image()


def convnext():
    from transformers import ConvNextConfig, ConvNextForImageClassification

    _seed()
    c = ConvNextConfig(num_channels=3, num_stages=2, hidden_sizes=[16, 32], depths=[1, 1], num_labels=3)
    return ConvNextForImageClassification(c).eval(), _image((2, 3, 32, 32))


def resnet():
    from transformers import ResNetConfig, ResNetForImageClassification

    _seed()
    c = ResNetConfig(num_channels=3, embedding_size=16, hidden_sizes=[16, 32], depths=[1, 1],
                     layer_type="bottleneck", num_labels=3)
    return ResNetForImageClassification(c).eval(), _image((2, 3, 32, 32))


def mobilenet_v2():
    from transformers import MobileNetV2Config, MobileNetV2ForImageClassification

    _seed()
    c = MobileNetV2Config(num_channels=3, image_size=32, depth_multiplier=0.25, num_labels=3)
    return MobileNetV2ForImageClassification(c).eval(), _image((2, 3, 32, 32))


def whisper():
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    _seed()
    c = WhisperConfig(vocab_size=64, num_mel_bins=8, d_model=32, encoder_layers=1, decoder_layers=1,
                      encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64,
                      max_source_positions=8, max_target_positions=16, use_cache=False,
                      decoder_start_token_id=0, pad_token_id=0, bos_token_id=0, eos_token_id=0)
    feats = torch.randn(2, 8, 16, generator=torch.Generator().manual_seed(2))
    return WhisperForConditionalGeneration(c).eval(), {"input_features": feats, "decoder_input_ids": _tokens(seed=1)}


# --------------------------------------------------------------------------- custom


class Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.bn0 = nn.BatchNorm2d(16)
        self.conv1 = nn.Conv2d(16, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1, stride=2)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = torch.relu(self.bn0(self.stem(x)))
        x = x + torch.relu(self.bn1(self.conv1(x)))
        return self.fc(torch.relu(self.conv2(x)).mean((2, 3)))


class Depthwise(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.pw = nn.Conv2d(3, 16, 1)
        self.bn = nn.BatchNorm2d(16)
        self.dw = nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.pw2 = nn.Conv2d(16, 24, 1)
        self.fc = nn.Linear(24, 5)

    def forward(self, x):
        x = self.dw(torch.relu(self.bn(self.pw(x))))
        return self.fc(torch.relu(self.pw2(x)).mean((2, 3)))


class GroupedConv(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1)
        self.grouped = nn.Conv2d(16, 32, 3, padding=1, groups=4)
        self.fc = nn.Linear(32, 5)

    def forward(self, x):
        return self.fc(torch.relu(self.grouped(torch.relu(self.conv(x)))).mean((2, 3)))


class SqueezeExcite(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 32, 3, padding=1)
        self.se1 = nn.Linear(32, 8)
        self.se2 = nn.Linear(8, 32)
        self.fc = nn.Linear(32, 5)

    def forward(self, x):
        x = torch.relu(self.conv(x))
        w = torch.sigmoid(self.se2(torch.relu(self.se1(x.mean((2, 3))))))
        x = x * w[:, :, None, None]
        return self.fc(x.mean((2, 3)))


class UNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.enc1 = nn.Conv2d(3, 8, 3, padding=1)
        self.enc2 = nn.Conv2d(8, 16, 3, padding=1, stride=2)
        self.up = nn.ConvTranspose2d(16, 8, 2, stride=2)
        self.dec = nn.Conv2d(16, 8, 3, padding=1)
        self.out = nn.Conv2d(8, 2, 1)

    def forward(self, x):
        e1 = torch.relu(self.enc1(x))
        e2 = torch.relu(self.enc2(e1))
        d = torch.cat([torch.relu(self.up(e2)), e1], 1)
        return self.out(torch.relu(self.dec(d)))


class GroupNormNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.gn = nn.GroupNorm(4, 16)
        self.conv2 = nn.Conv2d(16, 16, 3, padding=1)
        self.fc = nn.Linear(16, 5)

    def forward(self, x):
        x = torch.relu(self.gn(self.conv1(x)))
        return self.fc(torch.relu(self.conv2(x)).mean((2, 3)))


class ChunkSplit(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1)
        self.left = nn.Conv2d(8, 8, 3, padding=1)
        self.right = nn.Conv2d(8, 8, 3, padding=1)
        self.fc = nn.Linear(16, 5)

    def forward(self, x):
        a, b = torch.chunk(torch.relu(self.conv(x)), 2, dim=1)
        c, d = torch.split(torch.cat([self.left(a), self.right(b)], 1), [8, 8], dim=1)
        return self.fc(torch.cat([c, d], 1).mean((2, 3)))


class PixelShuffleNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1)
        self.up = nn.Conv2d(16, 12, 3, padding=1)
        self.shuffle = nn.PixelShuffle(2)

    def forward(self, x):
        return self.shuffle(self.up(torch.relu(self.conv(x))))


class LSTMNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Linear(6, 16)
        self.lstm = nn.LSTM(16, 16, batch_first=True)
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        out, _ = self.lstm(torch.relu(self.embed(x)))
        return self.fc(out[:, -1])


class TiedEmbeddings(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(50, 16)
        self.proj = nn.Linear(16, 16)
        self.head = nn.Linear(16, 50, bias=False)
        self.head.weight = self.embed.weight

    def forward(self, ids):
        return self.head(torch.relu(self.proj(self.embed(ids))))


class DictOutputs(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1)
        self.cls = nn.Linear(16, 4)
        self.box = nn.Linear(16, 2)

    def forward(self, x):
        f = torch.relu(self.conv(x)).mean((2, 3))
        return {"logits": self.cls(f), "boxes": self.box(f)}


class TupleOutputs(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 16, 3, padding=1)
        self.cls = nn.Linear(16, 4)

    def forward(self, x):
        f = torch.relu(self.conv2(torch.relu(self.conv(x))))
        return self.cls(f.mean((2, 3))), f.mean(1)


class InPlaceInput(nn.Module):
    """Normalises its input in place, as some preprocessing modules do."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1)
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        x.sub_(x.mean()).mul_(2.0)
        return self.fc(torch.relu(self.conv(x)).mean((2, 3)))


class StoredWidth(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.width = 32
        self.conv = nn.Conv2d(3, self.width, 3, padding=1)
        self.fc = nn.Linear(self.width, 10)

    def forward(self, x):
        x = torch.relu(self.conv(x))
        return self.fc(x.reshape(x.shape[0], self.width, -1).mean(-1))


class HardcodedReshape(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1)
        self.fc = nn.Linear(16 * 8 * 8, 10)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).view(-1, 16 * 8 * 8))


class ConcatGrouped(nn.Module):
    """torch.cat feeding a grouped conv: Torch-Pruning 1.6 maps the channels right for some choices only."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(3, 8, 3, padding=1)
        self.b = nn.Conv2d(3, 4, 3, padding=1)
        self.grouped = nn.Conv2d(12, 16, 3, padding=1, groups=4)
        self.head = nn.Conv2d(16, 4, 1)

    def forward(self, x):
        return self.head(self.grouped(torch.cat([self.a(x), self.b(x)], 1)))


def _custom(cls: type, inputs: Callable[[], Any]) -> Callable[[], Tuple[nn.Module, Any]]:
    def build() -> Tuple[nn.Module, Any]:
        _seed()
        return cls().eval(), inputs()

    build.__name__ = cls.__name__
    return build


def _img8() -> torch.Tensor:
    return _image((2, 3, 8, 8))


def _seq() -> torch.Tensor:
    return torch.randn(2, 5, 6, generator=torch.Generator().manual_seed(3))


ZOO: List[Entry] = [
    Entry("bert", bert, ["classifier"], "hf"),
    Entry("roberta", roberta, ["classifier.out_proj"], "hf"),
    Entry("gpt2", gpt2, ["lm_head"], "hf"),
    Entry("t5", t5, ["lm_head"], "hf", forward_fn=logits_only),
    Entry("bart", bart, ["lm_head"], "hf", forward_fn=logits_only),
    Entry("llama", llama, ["lm_head"], "hf"),
    Entry("llama_gqa", llama_gqa, ["lm_head"], "hf"),
    Entry("qwen2_gqa", qwen2_gqa, ["lm_head"], "hf"),
    Entry("mistral_gqa", mistral_gqa, ["lm_head"], "hf"),
    Entry("vit", vit, ["classifier"], "hf"),
    Entry("deit", deit, ["classifier"], "hf"),
    Entry("swin", swin, ["classifier"], "hf"),
    Entry("convnext", convnext, ["classifier"], "hf"),
    Entry("resnet", resnet, ["classifier.1"], "hf"),
    Entry("mobilenet_v2", mobilenet_v2, ["classifier"], "hf"),
    Entry("whisper", whisper, ["proj_out"], "hf", forward_fn=logits_only),
    Entry("residual", _custom(Residual, _img8), ["fc"]),
    Entry("concat", _custom(Concat, _img8), ["head"]),
    Entry("depthwise", _custom(Depthwise, _img8), ["fc"]),
    Entry("grouped_conv", _custom(GroupedConv, _img8), ["fc"]),
    Entry("squeeze_excite", _custom(SqueezeExcite, _img8), ["fc"]),
    Entry("unet", _custom(UNet, _img8), ["out"]),
    Entry("groupnorm", _custom(GroupNormNet, _img8), ["fc"]),
    Entry("chunk_split", _custom(ChunkSplit, _img8), ["fc"]),
    Entry("pixel_shuffle", _custom(PixelShuffleNet, _img8), ["up"]),
    Entry("lstm", _custom(LSTMNet, _seq), ["fc"]),
    Entry("tied_embeddings", _custom(TiedEmbeddings, lambda: _tokens(50)), ["head"]),
    Entry("dict_outputs", _custom(DictOutputs, _img8), ["cls", "box"]),
    Entry("tuple_outputs", _custom(TupleOutputs, _img8), ["cls", "conv2"]),
    Entry("inplace_input", _custom(InPlaceInput, _img8), ["fc"]),
    Entry("stored_width", _custom(StoredWidth, _img8), ["fc"]),
    Entry("hardcoded_reshape", _custom(HardcodedReshape, _img8), ["fc"]),
    Entry("concat_grouped", _custom(ConcatGrouped, _img8), ["head"]),
]

BY_NAME: Dict[str, Entry] = {e.name: e for e in ZOO}


def check(prune_check: Callable[..., Any], name: str, **options: Any) -> Any:
    """The zoo entry `name`, built fresh and checked with the `prune_check` fixture: its own
    check options (a seq2seq forward_fn), then the caller's."""
    entry = BY_NAME[name]
    model, inputs = entry.build()
    return prune_check(model, inputs, **{**entry.check_options(), **options})

HF_MODULES = ["bert", "roberta", "gpt2", "t5", "bart", "llama", "qwen2", "mistral", "vit", "deit", "swin",
              "convnext", "resnet", "mobilenet_v2", "whisper"]


def import_transformers() -> None:
    """Import every modeling module the zoo uses, once (pytester's in-process runs drop modules
    first imported inside them)."""
    import importlib

    for name in HF_MODULES:
        importlib.import_module(f"transformers.models.{name}.modeling_{name}")


def has_per_head_table(model: nn.Module) -> bool:
    """A relative-position parameter with one column per attention head (T5, Swin)."""
    return any("relative" in n for n, _ in model.named_parameters())
