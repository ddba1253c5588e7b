"""Small models for the pytest_prune tests, imported by the pytester-generated test files."""
from __future__ import annotations

import torch
import torch.nn as nn


class ResidualNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.bn0 = nn.BatchNorm2d(16)
        self.conv1 = nn.Conv2d(16, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1, stride=2)
        self.bn2 = nn.BatchNorm2d(32)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = torch.relu(self.bn0(self.stem(x)))
        x = x + torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.bn2(self.conv2(x)))
        return self.fc(x.mean((2, 3)))


class ConcatNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(3, 8, 3, padding=1)
        self.b = nn.Conv2d(3, 12, 3, padding=1)
        self.merge = nn.Conv2d(20, 16, 1)
        self.head = nn.Conv2d(16, 4, 1)

    def forward(self, x):
        return self.head(torch.relu(self.merge(torch.cat([self.a(x), self.b(x)], 1))))


class DepthwiseGroupedNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.pw = nn.Conv2d(3, 16, 1)
        self.bn = nn.BatchNorm2d(16)
        self.dw = nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.grouped = nn.Conv2d(16, 32, 3, padding=1, groups=4)
        self.gn = nn.GroupNorm(4, 32)
        self.fc = nn.Linear(32, 5)

    def forward(self, x):
        x = self.dw(torch.relu(self.bn(self.pw(x))))
        x = torch.relu(self.gn(self.grouped(x)))
        return self.fc(x.mean((2, 3)))


class ConcatGroupedNet(nn.Module):
    """torch.cat feeding a grouped conv: Torch-Pruning 1.6 breaks it for some channel choices."""

    def __init__(self) -> None:
        super().__init__()
        # Fixed weights: with these the magnitude ranking happens to pick safe channels.
        with torch.random.fork_rng():
            torch.manual_seed(0)
            self.a = nn.Conv2d(3, 8, 3, padding=1)
            self.b = nn.Conv2d(3, 4, 3, padding=1)
            self.grouped = nn.Conv2d(12, 16, 3, padding=1, groups=4)
            self.head = nn.Conv2d(16, 4, 1)

    def forward(self, x):
        return self.head(self.grouped(torch.cat([self.a(x), self.b(x)], 1)))


class UnwrappedParamNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1)
        self.scale = nn.Parameter(torch.ones(1, 16, 1, 1))
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc((self.conv(x) * self.scale).mean((2, 3)))


class AttentionNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Linear(8, 32)
        self.attn = nn.MultiheadAttention(32, 4, batch_first=True)
        self.norm = nn.LayerNorm(32)
        self.head = nn.Linear(32, 3)

    def forward(self, x):
        h = self.embed(x)
        a, _ = self.attn(h, h, h, need_weights=False)
        return self.head(self.norm(h + a))


class HardcodedReshapeNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 64, 3, padding=1)
        self.fc = nn.Linear(64 * 8 * 8, 10)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).view(-1, 64 * 8 * 8))


class WidthAttributeNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.width = 32
        self.conv = nn.Conv2d(3, self.width, 3, padding=1)
        self.fc = nn.Linear(self.width, 10)

    def forward(self, x):
        x = torch.relu(self.conv(x))
        return self.fc(x.reshape(x.shape[0], self.width, -1).mean(-1))


def tiny_bert():
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    config = BertConfig(vocab_size=64, hidden_size=32, num_hidden_layers=1, num_attention_heads=4,
                        intermediate_size=64, max_position_embeddings=32, num_labels=3)
    return BertForSequenceClassification(config).eval()


def tiny_llama():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=32)
    return LlamaForCausalLM(config).eval()


def tiny_vit():
    from transformers import ViTConfig, ViTForImageClassification

    torch.manual_seed(0)
    config = ViTConfig(image_size=16, patch_size=8, num_channels=3, hidden_size=32, num_hidden_layers=1,
                       num_attention_heads=4, intermediate_size=64, num_labels=3)
    return ViTForImageClassification(config).eval()


def token_inputs():
    return {"input_ids": torch.randint(0, 64, (2, 8), generator=torch.Generator().manual_seed(0))}


class TwoStageStoredWidth(nn.Module):
    """A stored width breaks the second group only; keeping that group unpruned leaves the first one to prune."""

    def __init__(self) -> None:
        super().__init__()
        self.width = 32
        self.conv0 = nn.Conv2d(3, 16, 3, padding=1)
        self.conv = nn.Conv2d(16, self.width, 3, padding=1)
        self.fc = nn.Linear(self.width, 10)

    def forward(self, x):
        x = torch.relu(self.conv(torch.relu(self.conv0(x))))
        return self.fc(x.reshape(x.shape[0], self.width, -1).mean(-1))
