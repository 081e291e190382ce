"""A second held-out suite for profile inference: `benchmarks/init_accuracy.py --suite init_suite2`.

Written without reading the cases of benchmarks/init_suite.py or advisor/integrations/profile_inference.py,
and every truth was written before the inference first ran on its case. Models are tiny (build + infer
well under 2 s on a CPU) and need no downloads (Hugging Face models come from a config object).

Judgement calls in the truths (None = genuinely ambiguous, not scored):
- `model.family`: ResNeXt / SE-ResNet / WideResNet are `resnet` (additive identity skips); DenseNet and a
  U-Net concatenate instead of adding, so `cnn`. ConvMixer, a TCN (dilated convs with residual adds) and
  MLP-Mixer sit between families: None. TabNet-ish (Linear + BN + GLU only) is `mlp`. Swin / DeiT / BEiT /
  SegFormer encoders (also a hand-written Swin) are `vit`; EfficientNet is built from MobileNetV2's
  inverted-residual blocks, so `mobilenet`. A Conformer, Whisper and the text models are `transformer`.
- `model.activation`: recurrent models (tanh/sigmoid inside the cell) have None; GLU-only TabNet has
  None; Mistral and Qwen2 (gated SiLU MLP) are `swiglu`; ALBERT and Phi's `gelu_new` is `gelu`; SE gates'
  sigmoid is not the model's activation.
- `model.normalization`: a Conformer (LayerNorm blocks, BatchNorm in the conv module) and SegFormer
  (LayerNorm encoder, BatchNorm in its decode head) mix two kinds: None. No normalization layer = `none`.
- `task`: a token tagger is `classification` (num_classes = tags); CTC speech recognition and Whisper are
  `seq2seq` (the README puts speech recognition there); an autoencoder trained with MSE is None
  (reconstruction: regression or generation); a VAE is `generation`; siamese and triplet embedders are
  `metric_learning` (no num_classes). A DeBERTa head with num_labels=1 is `regression` (HF uses MSE).
- `data.modality`: log-mel features are `audio` (what the project is, even if the tensor alone looks like
  a sequence); tabular data a 1D CNN reads as a sequence stays `tabular`; a bag-of-words matrix is `text`.
- `loss.name`: a HF model given no loss_fn computes its own loss (cross_entropy, or mse for regression);
  a contrastive loss and a VAE's reconstruction + KL are None (neither is in the list); MultiMarginLoss is
  `hinge`. `data.num_samples` is None for an IterableDataset without a length.
- `data.sparse_features`: only bag-of-words / hashed multi-hot inputs are sparse; token ids and small
  categorical codes fed to embeddings are not.
"""

from __future__ import annotations

import math
import random
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset

from init_suite import COUNT, Case


def _truth(
    task: str | None,
    modality: str | None,
    num_samples: int | None,
    family: str | None,
    normalization: str | None,
    activation: str | None,
    loss: str | None,
    *,
    num_classes: int | None = None,
    sparse: bool | None = False,
    num_params: Any = COUNT,
) -> dict[str, Any]:
    return {
        "task": task,
        "data.modality": modality,
        "data.num_samples": num_samples,
        "data.num_classes": num_classes,
        "data.sparse_features": sparse,
        "model.family": family,
        "model.num_params": num_params,
        "model.normalization": normalization,
        "model.activation": activation,
        "loss.name": loss,
    }


def _labels(n: int, k: int) -> torch.Tensor:
    return torch.arange(n) % k


class _ListDataset(Dataset):
    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> Any:
        return self.items[i]


# ----------------------------------------------------------------------------------------------- vision


class ResNeXtBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, cardinality: int = 8, width: int = 4, stride: int = 1) -> None:
        super().__init__()
        mid = cardinality * width
        self.conv1 = nn.Conv2d(c_in, mid, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, mid, 3, stride, 1, groups=cardinality, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(mid, c_out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(c_out)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + self.shortcut(x))


class ResNeXt(nn.Module):
    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.layers = nn.Sequential(
            ResNeXtBlock(16, 32), ResNeXtBlock(32, 32), ResNeXtBlock(32, 64, stride=2)
        )
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layers(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def build_resnext() -> tuple[Any, Any, Any]:
    data = TensorDataset(torch.randn(96, 3, 32, 32), _labels(96, 10))
    return ResNeXt(10), data, nn.CrossEntropyLoss()


class DenseLayer(nn.Module):
    def __init__(self, c_in: int, growth: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.BatchNorm2d(c_in),
            nn.ReLU(inplace=True),
            nn.Conv2d(c_in, 4 * growth, 1, bias=False),
            nn.BatchNorm2d(4 * growth),
            nn.ReLU(inplace=True),
            nn.Conv2d(4 * growth, growth, 3, padding=1, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, self.body(x)], dim=1)


class TinyDenseNet(nn.Module):
    def __init__(self, growth: int = 8, num_classes: int = 7) -> None:
        super().__init__()
        c = 16
        layers: list[nn.Module] = [nn.Conv2d(1, c, 3, padding=1, bias=False)]
        for i, n in enumerate((4, 3)):
            for _ in range(n):
                layers.append(DenseLayer(c, growth))
                c += growth
            if i == 0:
                layers += [
                    nn.BatchNorm2d(c),
                    nn.ReLU(inplace=True),
                    nn.Conv2d(c, c // 2, 1, bias=False),
                    nn.AvgPool2d(2),
                ]
                c //= 2
        layers += [nn.BatchNorm2d(c), nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class GlyphDataset(Dataset):
    """Greyscale 28x28 glyphs, 7 classes."""

    def __init__(self, n: int = 140) -> None:
        self.images = torch.rand(n, 1, 28, 28)
        self.labels = _labels(n, 7)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.images[i], int(self.labels[i])


def build_densenet() -> tuple[Any, Any, Any]:
    return TinyDenseNet(), DataLoader(GlyphDataset(), batch_size=16, shuffle=True), nn.CrossEntropyLoss()


class SqueezeExcite(nn.Module):
    def __init__(self, c: int, r: int = 4) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Conv2d(c, c // r, 1), nn.Conv2d(c // r, c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = F.adaptive_avg_pool2d(x, 1)
        return x * torch.sigmoid(self.fc2(F.relu(self.fc1(s))))


class SEBasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.se = SqueezeExcite(c_out)
        self.down = None
        if stride != 1 or c_in != c_out:
            self.down = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.down is None else self.down(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.se(self.bn2(self.conv2(out)))
        return F.relu(out + identity)


class SEResNet(nn.Module):
    def __init__(self, num_classes: int = 5) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True)
        )
        self.stages = nn.Sequential(SEBasicBlock(16, 16), SEBasicBlock(16, 32, 2), SEBasicBlock(32, 64, 2))
        self.head = nn.Linear(64, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(self.stem(x)).mean((2, 3)))


class LeafDataset(Dataset):
    """Dict samples with the project's own key names; an imbalanced label distribution."""

    def __init__(self) -> None:
        counts = [30, 12, 8, 6, 4]
        self.targets = [c for c, n in enumerate(counts) for _ in range(n)]
        self.images = torch.randn(len(self.targets), 3, 24, 24)

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"image": self.images[i], "target": self.targets[i]}


def build_se_resnet() -> tuple[Any, Any, Any]:
    return SEResNet(5), DataLoader(LeafDataset(), batch_size=8, shuffle=True), nn.CrossEntropyLoss()


class WideBasic(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int, dropout: float) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, 1, 1, bias=False)
        self.dropout = nn.Dropout(dropout)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, stride, 1, bias=False)
        self.shortcut = nn.Sequential()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.dropout(self.conv1(F.relu(self.bn1(x))))
        out = self.conv2(F.relu(self.bn2(out)))
        return out + self.shortcut(x)


class WideResNet(nn.Module):
    def __init__(self, widen: int = 2, num_classes: int = 100, dropout: float = 0.3) -> None:
        super().__init__()
        w = [16, 16 * widen, 32 * widen]
        self.conv1 = nn.Conv2d(3, w[0], 3, 1, 1, bias=False)
        self.block1 = WideBasic(w[0], w[1], 1, dropout)
        self.block2 = WideBasic(w[1], w[2], 2, dropout)
        self.bn = nn.BatchNorm2d(w[2])
        self.linear = nn.Linear(w[2], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn(self.block2(self.block1(self.conv1(x)))))
        return self.linear(F.adaptive_avg_pool2d(out, 1).flatten(1))


def build_wide_resnet() -> tuple[Any, Any, Any]:
    data = DataLoader(
        TensorDataset(torch.randn(300, 3, 32, 32), _labels(300, 100)), batch_size=32, shuffle=True
    )
    return WideResNet(), data, nn.CrossEntropyLoss(label_smoothing=0.1)


class Residual(nn.Module):
    def __init__(self, fn: nn.Module) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x) + x


def conv_mixer(dim: int = 32, depth: int = 3, kernel_size: int = 5, patch_size: int = 4, n_classes: int = 10):
    return nn.Sequential(
        nn.Conv2d(3, dim, kernel_size=patch_size, stride=patch_size),
        nn.GELU(),
        nn.BatchNorm2d(dim),
        *[
            nn.Sequential(
                Residual(
                    nn.Sequential(
                        nn.Conv2d(dim, dim, kernel_size, groups=dim, padding="same"),
                        nn.GELU(),
                        nn.BatchNorm2d(dim),
                    )
                ),
                nn.Conv2d(dim, dim, kernel_size=1),
                nn.GELU(),
                nn.BatchNorm2d(dim),
            )
            for _ in range(depth)
        ],
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Flatten(),
        nn.Linear(dim, n_classes),
    )


def build_convmixer() -> tuple[Any, Any, Any]:
    data = DataLoader(TensorDataset(torch.randn(80, 3, 32, 32), _labels(80, 10)), batch_size=16)
    return conv_mixer(), data, nn.CrossEntropyLoss()


def _window_partition(x: torch.Tensor, w: int) -> torch.Tensor:
    b, h, wd, c = x.shape
    x = x.view(b, h // w, w, wd // w, w, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, w * w, c)


def _window_reverse(windows: torch.Tensor, w: int, h: int, wd: int) -> torch.Tensor:
    b = windows.shape[0] // ((h // w) * (wd // w))
    x = windows.view(b, h // w, wd // w, w, w, -1).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, h, wd, -1)


class WindowAttention(nn.Module):
    def __init__(self, dim: int, window: int, heads: int) -> None:
        super().__init__()
        self.heads, self.scale = heads, (dim // heads) ** -0.5
        self.qkv, self.proj = nn.Linear(dim, dim * 3), nn.Linear(dim, dim)
        self.bias_table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, heads))
        coords = torch.stack(
            torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")
        ).flatten(1)
        rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + window - 1
        self.register_buffer("bias_index", rel[..., 0] * (2 * window - 1) + rel[..., 1], persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn + self.bias_table[self.bias_index.view(-1)].view(n, n, -1).permute(2, 0, 1)
        return self.proj((attn.softmax(-1) @ v).transpose(1, 2).reshape(b, n, c))


class SwinBlock(nn.Module):
    def __init__(self, dim: int, heads: int, window: int = 4, shift: int = 0) -> None:
        super().__init__()
        self.window, self.shift = window, shift
        self.norm1, self.attn = nn.LayerNorm(dim), WindowAttention(dim, window, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, h, w, _ = x.shape
        y = self.norm1(x)
        if self.shift:
            y = torch.roll(y, (-self.shift, -self.shift), (1, 2))
        y = _window_reverse(self.attn(_window_partition(y, self.window)), self.window, h, w)
        if self.shift:
            y = torch.roll(y, (self.shift, self.shift), (1, 2))
        x = x + y
        return x + self.mlp(self.norm2(x))


class PatchMerging(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm, self.reduction = nn.LayerNorm(4 * dim), nn.Linear(4 * dim, 2 * dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]], -1)
        return self.reduction(self.norm(x))


class MiniSwin(nn.Module):
    def __init__(self, num_classes: int = 10, dim: int = 24) -> None:
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, 4, 4)
        self.stage1 = nn.Sequential(SwinBlock(dim, 2), SwinBlock(dim, 2, shift=2))
        self.merge = PatchMerging(dim)
        self.stage2 = nn.Sequential(SwinBlock(2 * dim, 4), SwinBlock(2 * dim, 4, shift=2))
        self.norm, self.head = nn.LayerNorm(2 * dim), nn.Linear(2 * dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(x).permute(0, 2, 3, 1)
        x = self.stage2(self.merge(self.stage1(x)))
        return self.head(self.norm(x).mean((1, 2)))


def build_swin_plain() -> tuple[Any, Any, Any]:
    return MiniSwin(), TensorDataset(torch.randn(64, 3, 32, 32), _labels(64, 10)), nn.CrossEntropyLoss()


class MixerBlock(nn.Module):
    def __init__(self, tokens: int, dim: int) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.token_mlp = nn.Sequential(
            nn.Linear(tokens, tokens // 2), nn.GELU(), nn.Linear(tokens // 2, tokens)
        )
        self.channel_mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.token_mlp(self.norm1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.channel_mlp(self.norm2(x))


class MLPMixer(nn.Module):
    def __init__(
        self, image: int = 32, patch: int = 4, dim: int = 48, depth: int = 3, classes: int = 20
    ) -> None:
        super().__init__()
        tokens = (image // patch) ** 2
        self.stem = nn.Conv2d(3, dim, patch, patch)
        self.blocks = nn.Sequential(*[MixerBlock(tokens, dim) for _ in range(depth)])
        self.norm, self.head = nn.LayerNorm(dim), nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x).flatten(2).transpose(1, 2)
        return self.head(self.norm(self.blocks(x)).mean(1))


def build_mlp_mixer() -> tuple[Any, Any, Any]:
    data = DataLoader(
        TensorDataset(torch.randn(120, 3, 32, 32), _labels(120, 20)), batch_size=24, shuffle=True
    )
    return MLPMixer(), data, nn.CrossEntropyLoss(label_smoothing=0.1)


class SiameseNet(nn.Module):
    def __init__(self, emb: int = 16) -> None:
        super().__init__()
        self.embed = nn.Sequential(
            nn.Conv2d(1, 16, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(32, emb),
        )

    def forward(self, x1: torch.Tensor, x2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.embed(x1), self.embed(x2)


class ContrastiveLoss(nn.Module):
    def __init__(self, margin: float = 1.0) -> None:
        super().__init__()
        self.margin = margin

    def forward(self, outputs: tuple[torch.Tensor, torch.Tensor], same: torch.Tensor) -> torch.Tensor:
        d = F.pairwise_distance(*outputs)
        return (same * d.pow(2) + (1 - same) * F.relu(self.margin - d).pow(2)).mean()


class SignaturePairs(Dataset):
    def __init__(self, n: int = 80) -> None:
        self.a, self.b = torch.rand(n, 1, 28, 28), torch.rand(n, 1, 28, 28)
        self.same = (torch.arange(n) % 2).float()

    def __len__(self) -> int:
        return len(self.same)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.a[i], self.b[i], self.same[i]


def build_siamese_contrastive() -> tuple[Any, Any, Any]:
    return SiameseNet(), DataLoader(SignaturePairs(), batch_size=16, shuffle=True), ContrastiveLoss()


class ConvAutoencoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 16, 3, 2, 1),
            nn.BatchNorm2d(16),
            nn.LeakyReLU(0.2),
            nn.Conv2d(16, 32, 3, 2, 1),
            nn.BatchNorm2d(32),
            nn.LeakyReLU(0.2),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(32, 16, 4, 2, 1),
            nn.BatchNorm2d(16),
            nn.LeakyReLU(0.2),
            nn.ConvTranspose2d(16, 1, 4, 2, 1),
            nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


def build_conv_autoencoder() -> tuple[Any, Any, Any]:
    return ConvAutoencoder(), TensorDataset(torch.rand(64, 1, 28, 28)), nn.MSELoss()


class VAE(nn.Module):
    def __init__(self, d: int = 784, h: int = 128, z: int = 8) -> None:
        super().__init__()
        self.fc1, self.fc_mu, self.fc_logvar = nn.Linear(d, h), nn.Linear(h, z), nn.Linear(h, z)
        self.fc3, self.fc4 = nn.Linear(z, h), nn.Linear(h, d)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = F.relu(self.fc1(x.flatten(1)))
        mu, logvar = self.fc_mu(h), self.fc_logvar(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


def vae_loss(output: tuple[torch.Tensor, torch.Tensor, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    recon, mu, logvar = output
    bce = F.binary_cross_entropy(recon, x.flatten(1), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return (bce + kld) / x.shape[0]


def build_vae() -> tuple[Any, Any, Any]:
    # An MNIST-style loader: the labels come along, the VAE ignores them.
    data = DataLoader(
        TensorDataset(torch.rand(100, 1, 28, 28), _labels(100, 10)), batch_size=20, shuffle=True
    )
    return VAE(), data, vae_loss


class UNet(nn.Module):
    @staticmethod
    def _double(c_in: int, c_out: int) -> nn.Sequential:
        return nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True),
            nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True),
        )

    def __init__(self, classes: int = 3) -> None:
        super().__init__()
        self.enc1, self.enc2, self.mid = self._double(3, 16), self._double(16, 32), self._double(32, 64)
        self.up2, self.dec2 = nn.ConvTranspose2d(64, 32, 2, 2), self._double(64, 32)
        self.up1, self.dec1 = nn.ConvTranspose2d(32, 16, 2, 2), self._double(32, 16)
        self.out = nn.Conv2d(16, classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        m = self.mid(F.max_pool2d(e2, 2))
        d2 = self.dec2(torch.cat([self.up2(m), e2], 1))
        return self.out(self.dec1(torch.cat([self.up1(d2), e1], 1)))


def build_unet() -> tuple[Any, Any, Any]:
    masks = torch.randint(0, 3, (32, 32, 32))
    masks[0, 0, :3] = torch.tensor([0, 1, 2])
    return UNet(3), TensorDataset(torch.randn(32, 3, 32, 32), masks), nn.CrossEntropyLoss()


def build_lightning_groupnorm() -> tuple[Any, Any, Any]:
    import lightning as L

    class LitCNN(L.LightningModule):
        def __init__(self, num_classes: int = 4) -> None:
            super().__init__()
            self.net = nn.Sequential(
                nn.Conv2d(3, 16, 3, padding=1),
                nn.GroupNorm(4, 16),
                nn.SiLU(),
                nn.MaxPool2d(2),
                nn.Conv2d(16, 32, 3, padding=1),
                nn.GroupNorm(8, 32),
                nn.SiLU(),
                nn.AdaptiveAvgPool2d(1),
                nn.Flatten(),
                nn.Linear(32, num_classes),
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.net(x)

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            x, y = batch
            return F.cross_entropy(self(x), y)

        def configure_optimizers(self) -> Any:
            return torch.optim.AdamW(self.parameters(), lr=1e-3)

    class Satellite(L.LightningDataModule):
        def setup(self, stage: str | None = None) -> None:
            self.train = TensorDataset(torch.randn(48, 3, 32, 32), _labels(48, 4))

        def train_dataloader(self) -> DataLoader:
            if not hasattr(self, "train"):
                self.setup("fit")
            return DataLoader(self.train, batch_size=8, shuffle=True)

    return LitCNN(), Satellite(), None


# ----------------------------------------------------------------------------- tabular, sequence, audio


class TabularConv1d(nn.Module):
    def __init__(self, n_features: int = 40, classes: int = 3) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(1, 16, 5, padding=2),
            nn.BatchNorm1d(16),
            nn.ReLU(),
            nn.Conv1d(16, 32, 5, padding=2),
            nn.BatchNorm1d(32),
            nn.ReLU(),
            nn.AdaptiveMaxPool1d(4),
        )
        self.fc = nn.Linear(32 * 4, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.body(x.unsqueeze(1)).flatten(1))


def build_tabular_conv1d() -> tuple[Any, Any, Any]:
    return TabularConv1d(), TensorDataset(torch.randn(256, 40), _labels(256, 3)), nn.MultiMarginLoss()


class TripletEmbedder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(20, 64), nn.ELU(), nn.Linear(64, 64), nn.ELU(), nn.Linear(64, 16))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.net(x), dim=-1)


def build_triplet_mlp() -> tuple[Any, Any, Any]:
    a = torch.randn(120, 20)
    data = TensorDataset(a, a + 0.1 * torch.randn_like(a), torch.randn(120, 20))
    return TripletEmbedder(), DataLoader(data, batch_size=30), nn.TripletMarginLoss(margin=0.2)


class FeatureTokenizer(nn.Module):
    def __init__(self, n_num: int, cards: list[int], d: int) -> None:
        super().__init__()
        self.num_weight = nn.Parameter(torch.randn(n_num, d) / math.sqrt(d))
        self.num_bias = nn.Parameter(torch.zeros(n_num, d))
        self.register_buffer("offsets", torch.tensor([0, *cards[:-1]]).cumsum(0), persistent=False)
        self.cat_emb = nn.Embedding(sum(cards), d)

    def forward(self, x_num: torch.Tensor, x_cat: torch.Tensor) -> torch.Tensor:
        num = x_num.unsqueeze(-1) * self.num_weight + self.num_bias
        return torch.cat([num, self.cat_emb(x_cat + self.offsets)], dim=1)


class FTTransformer(nn.Module):
    def __init__(self, n_num: int = 6, cards: list[int] | None = None, d: int = 32, classes: int = 2) -> None:
        super().__init__()
        self.tokenizer = FeatureTokenizer(n_num, cards or [4, 6, 3], d)
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        layer = nn.TransformerEncoderLayer(
            d, 4, 64, dropout=0.1, activation="gelu", batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, classes))

    def forward(self, x_num: torch.Tensor, x_cat: torch.Tensor) -> torch.Tensor:
        tokens = self.tokenizer(x_num, x_cat)
        tokens = torch.cat([self.cls.expand(len(tokens), -1, -1), tokens], 1)
        return self.head(self.encoder(tokens)[:, 0])


def build_ft_transformer() -> tuple[Any, Any, Any]:
    n = 150
    x_cat = torch.stack([torch.randint(0, c, (n,)) for c in (4, 6, 3)], 1)
    data = DataLoader(TensorDataset(torch.randn(n, 6), x_cat, _labels(n, 2)), batch_size=32, shuffle=True)
    return FTTransformer(), data, nn.CrossEntropyLoss()


class GLUBlock(nn.Module):
    def __init__(self, d_in: int, d_out: int) -> None:
        super().__init__()
        self.fc = nn.Linear(d_in, 2 * d_out, bias=False)
        self.bn = nn.BatchNorm1d(2 * d_out, momentum=0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.glu(self.bn(self.fc(x)), dim=-1)


class TabNetish(nn.Module):
    def __init__(self, n_features: int = 12, n_d: int = 8, n_steps: int = 3, gamma: float = 1.3) -> None:
        super().__init__()
        self.n_d, self.gamma = n_d, gamma
        self.input_bn = nn.BatchNorm1d(n_features)
        self.shared = nn.ModuleList([GLUBlock(n_features, 2 * n_d), GLUBlock(2 * n_d, 2 * n_d)])
        self.steps = nn.ModuleList(
            [nn.ModuleList([GLUBlock(2 * n_d, 2 * n_d), GLUBlock(2 * n_d, 2 * n_d)]) for _ in range(n_steps)]
        )
        self.attentive = nn.ModuleList(
            [
                nn.Sequential(nn.Linear(n_d, n_features, bias=False), nn.BatchNorm1d(n_features))
                for _ in range(n_steps)
            ]
        )
        self.out = nn.Linear(n_d, 1)

    def _transform(self, x: torch.Tensor, step: nn.ModuleList) -> torch.Tensor:
        h = self.shared[0](x)
        for block in [self.shared[1], *step]:
            h = (h + block(h)) * math.sqrt(0.5)
        return h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.input_bn(x)
        prior = torch.ones_like(x)
        a = torch.zeros(x.shape[0], self.n_d, device=x.device)
        total = torch.zeros_like(a)
        for step, attentive in zip(self.steps, self.attentive, strict=True):
            mask = torch.softmax(attentive(a) * prior, dim=-1)
            prior = prior * (self.gamma - mask)
            h = self._transform(x * mask, step)
            total = total + F.relu(h[:, : self.n_d])
            a = h[:, self.n_d :]
        return self.out(total)


def build_tabnet_regression() -> tuple[Any, Any, Any]:
    x = torch.randn(200, 12)
    y = (x[:, :3].sum(1, keepdim=True) + 0.1 * torch.randn(200, 1)) * 1000.0 + 25000.0  # house prices
    return TabNetish(), DataLoader(TensorDataset(x, y), batch_size=50, shuffle=True), nn.MSELoss()


class WideAndDeep(nn.Module):
    def __init__(
        self, hash_buckets: int = 10_000, cards: tuple[int, ...] = (20, 7, 12), n_dense: int = 8
    ) -> None:
        super().__init__()
        self.wide = nn.EmbeddingBag(hash_buckets, 1, mode="sum", sparse=True)
        self.wide_bias = nn.Parameter(torch.zeros(1))
        self.embeddings = nn.ModuleList([nn.Embedding(c, 8) for c in cards])
        self.deep = nn.Sequential(
            nn.Linear(8 * len(cards) + n_dense, 64),
            nn.ReLU(),
            nn.Linear(64, 32),
            nn.ReLU(),
            nn.Linear(32, 1),
        )

    def forward(
        self, wide_ids: torch.Tensor, offsets: torch.Tensor, dense: torch.Tensor, cat: torch.Tensor
    ) -> torch.Tensor:
        deep_in = torch.cat([emb(cat[:, i]) for i, emb in enumerate(self.embeddings)] + [dense], 1)
        return (self.wide(wide_ids, offsets) + self.wide_bias + self.deep(deep_in)).squeeze(-1)


def _click_rows(n: int = 200) -> list[dict[str, Any]]:
    rng = random.Random(3)
    return [
        {
            "wide_ids": [rng.randrange(10_000) for _ in range(rng.randint(2, 9))],
            "dense": [rng.gauss(0, 1) for _ in range(8)],
            "cat": [rng.randrange(20), rng.randrange(7), rng.randrange(12)],
            "clicked": 1.0 if i % 10 == 0 else 0.0,
        }
        for i in range(n)
    ]


def click_collate(rows: list[dict[str, Any]]) -> tuple[torch.Tensor, ...]:
    ids = [torch.tensor(r["wide_ids"]) for r in rows]
    offsets = torch.tensor([0, *[len(i) for i in ids[:-1]]]).cumsum(0)
    return (
        torch.cat(ids),
        offsets,
        torch.tensor([r["dense"] for r in rows]),
        torch.tensor([r["cat"] for r in rows]),
        torch.tensor([r["clicked"] for r in rows]),
    )


def build_wide_and_deep() -> tuple[Any, Any, Any]:
    data = DataLoader(_ListDataset(_click_rows()), batch_size=32, shuffle=True, collate_fn=click_collate)
    return WideAndDeep(), data, nn.BCEWithLogitsLoss(pos_weight=torch.tensor(9.0))


class FocalLoss(nn.Module):
    def __init__(self, gamma: float = 2.0, weight: torch.Tensor | None = None) -> None:
        super().__init__()
        self.gamma, self.weight = gamma, weight

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        ce = F.cross_entropy(logits, target, weight=self.weight, reduction="none")
        return ((1 - torch.exp(-ce)) ** self.gamma * ce).mean()


class ChurnNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.plan, self.region = nn.Embedding(10, 4), nn.Embedding(5, 4)
        self.mlp = nn.Sequential(
            nn.Linear(16, 64),
            nn.BatchNorm1d(64),
            nn.SiLU(),
            nn.Dropout(0.2),
            nn.Linear(64, 64),
            nn.BatchNorm1d(64),
            nn.SiLU(),
            nn.Linear(64, 4),
        )

    def forward(self, num: torch.Tensor, cat: torch.Tensor) -> torch.Tensor:
        return self.mlp(torch.cat([num, self.plan(cat[:, 0]), self.region(cat[:, 1])], 1))


class ChurnDataset(Dataset):
    def __init__(self) -> None:
        self.y = [c for c, k in enumerate((100, 30, 15, 5)) for _ in range(k)]
        self.num = torch.randn(len(self.y), 8)
        self.cat = torch.stack([torch.randint(0, 10, (len(self.y),)), torch.randint(0, 5, (len(self.y),))], 1)

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"num": self.num[i], "cat": self.cat[i], "y": torch.tensor(self.y[i])}


def build_churn_focal() -> tuple[Any, Any, Any]:
    return ChurnNet(), DataLoader(ChurnDataset(), batch_size=32, shuffle=True), FocalLoss(2.0)


def build_bow_multilabel() -> tuple[Any, Any, Any]:
    n, vocab = 120, 500
    x = torch.zeros(n, vocab)
    for i in range(n):
        idx = torch.randint(0, vocab, (12,))
        x[i, idx] = torch.rand(12)  # tf-idf weights of the words present
    y = (torch.rand(n, 6) < 0.25).float()
    model = nn.Sequential(nn.Linear(vocab, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 6))
    return model, TensorDataset(x, y), nn.BCEWithLogitsLoss()


class Chomp1d(nn.Module):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :, : -self.size]


class TemporalBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, k: int, dilation: int, dropout: float = 0.1) -> None:
        super().__init__()
        pad = (k - 1) * dilation
        self.net = nn.Sequential(
            nn.Conv1d(c_in, c_out, k, padding=pad, dilation=dilation),
            Chomp1d(pad),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Conv1d(c_out, c_out, k, padding=pad, dilation=dilation),
            Chomp1d(pad),
            nn.ReLU(),
            nn.Dropout(dropout),
        )
        self.downsample = nn.Conv1d(c_in, c_out, 1) if c_in != c_out else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        res = x if self.downsample is None else self.downsample(x)
        return F.relu(self.net(x) + res)


class TCN(nn.Module):
    def __init__(self, channels: tuple[int, ...] = (16, 16, 16), k: int = 3) -> None:
        super().__init__()
        blocks, c_in = [], 1
        for i, c in enumerate(channels):
            blocks.append(TemporalBlock(c_in, c, k, 2**i))
            c_in = c
        self.tcn = nn.Sequential(*blocks)
        self.head = nn.Linear(c_in, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.tcn(x)[:, :, -1])


def build_tcn_forecast() -> tuple[Any, Any, Any]:
    t = torch.linspace(0, 60, 128 + 64).unsqueeze(0)
    series = torch.sin(t + torch.rand(128, 1) * 6) + 0.05 * torch.randn(128, 128 + 64)
    x = torch.stack([series[i, i % 64 : i % 64 + 64] for i in range(128)]).unsqueeze(1)
    y = torch.stack([series[i, i % 64 + 64] for i in range(128)]).unsqueeze(1)
    return TCN(), TensorDataset(x, y), nn.MSELoss()


class ConformerFF(nn.Module):
    def __init__(self, d: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.LayerNorm(d),
            nn.Linear(d, 4 * d),
            nn.SiLU(),
            nn.Dropout(0.1),
            nn.Linear(4 * d, d),
            nn.Dropout(0.1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class ConformerConv(nn.Module):
    def __init__(self, d: int, k: int = 7) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.pw1, self.dw = nn.Conv1d(d, 2 * d, 1), nn.Conv1d(d, d, k, padding=k // 2, groups=d)
        self.bn, self.pw2 = nn.BatchNorm1d(d), nn.Conv1d(d, d, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.glu(self.pw1(self.norm(x).transpose(1, 2)), dim=1)
        return self.pw2(F.silu(self.bn(self.dw(y)))).transpose(1, 2)


class ConformerBlock(nn.Module):
    def __init__(self, d: int, heads: int = 4) -> None:
        super().__init__()
        self.ff1, self.ff2 = ConformerFF(d), ConformerFF(d)
        self.attn_norm = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, dropout=0.1, batch_first=True)
        self.conv, self.final_norm = ConformerConv(d), nn.LayerNorm(d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + 0.5 * self.ff1(x)
        y = self.attn_norm(x)
        x = x + self.attn(y, y, y, need_weights=False)[0]
        x = x + self.conv(x)
        return self.final_norm(x + 0.5 * self.ff2(x))


class KeywordSpotter(nn.Module):
    def __init__(self, n_mels: int = 40, d: int = 48, classes: int = 12) -> None:
        super().__init__()
        self.subsample = nn.Sequential(nn.Conv1d(n_mels, d, 3, stride=2, padding=1), nn.SiLU())
        self.blocks = nn.Sequential(ConformerBlock(d), ConformerBlock(d))
        self.classifier = nn.Linear(d, classes)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:  # (batch, frames, n_mels)
        x = self.subsample(mel.transpose(1, 2)).transpose(1, 2)
        return self.classifier(self.blocks(x).mean(1))


def build_conformer_kws() -> tuple[Any, Any, Any]:
    clips = [(torch.randn(50, 40), i % 12) for i in range(96)]
    return (
        KeywordSpotter(),
        DataLoader(_ListDataset(clips), batch_size=16, shuffle=True),
        nn.CrossEntropyLoss(),
    )


class BiLSTMCTC(nn.Module):
    def __init__(self, n_mels: int = 80, hidden: int = 64, vocab: int = 29) -> None:
        super().__init__()
        self.lstm = nn.LSTM(n_mels, hidden, num_layers=2, bidirectional=True, batch_first=True, dropout=0.1)
        self.out = nn.Linear(2 * hidden, vocab)

    def forward(self, feats: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = nn.utils.rnn.pack_padded_sequence(
            feats, lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        out, _ = self.lstm(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
        return self.out(out).log_softmax(-1).transpose(0, 1)  # (T, B, C) for CTCLoss


def asr_collate(batch: list[tuple[torch.Tensor, list[int]]]) -> tuple[torch.Tensor, ...]:
    feats = [f for f, _ in batch]
    targets = [torch.tensor(t) for _, t in batch]
    return (
        nn.utils.rnn.pad_sequence(feats, batch_first=True),
        torch.tensor([len(f) for f in feats]),
        torch.cat(targets),
        torch.tensor([len(t) for t in targets]),
    )


def build_lstm_ctc() -> tuple[Any, Any, Any]:
    rng = random.Random(5)
    utterances = [
        (torch.randn(rng.randint(40, 70), 80), [rng.randint(1, 28) for _ in range(rng.randint(5, 12))])
        for _ in range(40)
    ]
    data = DataLoader(_ListDataset(utterances), batch_size=8, collate_fn=asr_collate)
    return BiLSTMCTC(), data, nn.CTCLoss(blank=0, zero_infinity=True)


# ------------------------------------------------------------------------------------------------- text


class Seq2SeqGRU(nn.Module):
    def __init__(self, src_vocab: int = 50, tgt_vocab: int = 40, emb: int = 32, hidden: int = 64) -> None:
        super().__init__()
        self.src_emb = nn.Embedding(src_vocab, emb, padding_idx=0)
        self.tgt_emb = nn.Embedding(tgt_vocab, emb, padding_idx=0)
        self.encoder = nn.GRU(emb, hidden, batch_first=True)
        self.decoder = nn.GRU(emb, hidden, batch_first=True)
        self.generator = nn.Linear(hidden, tgt_vocab)

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        _, h = self.encoder(self.src_emb(src))
        out, _ = self.decoder(self.tgt_emb(tgt_in), h)
        return self.generator(out)


def translation_collate(pairs: list[tuple[list[int], list[int]]]) -> tuple[torch.Tensor, ...]:
    pad = nn.utils.rnn.pad_sequence
    src = pad([torch.tensor(s) for s, _ in pairs], batch_first=True)
    tgt = pad([torch.tensor([1, *t, 2]) for _, t in pairs], batch_first=True)
    return src, tgt[:, :-1], tgt[:, 1:]


def build_gru_seq2seq() -> tuple[Any, Any, Any]:
    rng = random.Random(1)
    pairs = [
        (
            [rng.randint(3, 49) for _ in range(rng.randint(4, 10))],
            [rng.randint(3, 39) for _ in range(rng.randint(4, 10))],
        )
        for _ in range(64)
    ]
    data = DataLoader(_ListDataset(pairs), batch_size=16, shuffle=True, collate_fn=translation_collate)
    return Seq2SeqGRU(), data, nn.CrossEntropyLoss(ignore_index=0)


class BiLSTMTagger(nn.Module):
    def __init__(self, vocab: int = 100, tags: int = 9) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, 32, padding_idx=0)
        self.lstm = nn.LSTM(32, 32, batch_first=True, bidirectional=True)
        self.drop = nn.Dropout(0.3)
        self.fc = nn.Linear(64, tags)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.emb(tokens))
        return self.fc(self.drop(out)).transpose(1, 2)  # (B, tags, T) for CrossEntropyLoss


def tagging_collate(rows: list[dict[str, list[int]]]) -> tuple[torch.Tensor, torch.Tensor]:
    pad = nn.utils.rnn.pad_sequence
    tokens = pad([torch.tensor(r["tokens"]) for r in rows], batch_first=True, padding_value=0)
    tags = pad([torch.tensor(r["tags"]) for r in rows], batch_first=True, padding_value=-100)
    return tokens, tags


def build_bilstm_tagger() -> tuple[Any, Any, Any]:
    rng = random.Random(2)
    rows = []
    for i in range(70):
        n = rng.randint(5, 15)
        rows.append(
            {
                "tokens": [rng.randint(1, 99) for _ in range(n)],
                "tags": [(i + j) % 9 if j % 3 == 0 else 0 for j in range(n)],
            }
        )
    data = DataLoader(_ListDataset(rows), batch_size=10, collate_fn=tagging_collate)
    return BiLSTMTagger(), data, nn.CrossEntropyLoss(ignore_index=-100)


class TextCNN(nn.Module):
    def __init__(self, vocab: int = 200, emb: int = 32, filters: int = 16, classes: int = 2) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb, padding_idx=0)
        self.convs = nn.ModuleList([nn.Conv1d(emb, filters, k) for k in (3, 4, 5)])
        self.dropout = nn.Dropout(0.5)
        self.fc = nn.Linear(3 * filters, classes)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.embedding(ids).transpose(1, 2)
        pooled = [F.relu(conv(x)).amax(-1) for conv in self.convs]
        return self.fc(self.dropout(torch.cat(pooled, 1)))


def review_collate(batch: list[tuple[list[int], int]]) -> tuple[torch.Tensor, torch.Tensor]:
    longest = max(5, *(len(ids) for ids, _ in batch))
    ids = torch.tensor([ids + [0] * (longest - len(ids)) for ids, _ in batch])
    return ids, torch.tensor([label for _, label in batch])


def build_text_cnn() -> tuple[Any, Any, Any]:
    rng = random.Random(4)
    reviews = [([rng.randint(1, 199) for _ in range(rng.randint(6, 30))], i % 2) for i in range(90)]
    data = DataLoader(_ListDataset(reviews), batch_size=16, shuffle=True, collate_fn=review_collate)
    return TextCNN(), data, nn.CrossEntropyLoss()


class CharStream(IterableDataset):
    """Chunks of a character stream, read lazily: no length."""

    def __init__(self, vocab: int = 65, chunk: int = 32) -> None:
        self.vocab, self.chunk = vocab, chunk

    def __iter__(self):
        g = torch.Generator().manual_seed(0)
        text = torch.randint(0, self.vocab, (50 * self.chunk + 1,), generator=g)
        for start in range(0, len(text) - self.chunk - 1, self.chunk):
            yield text[start : start + self.chunk], text[start + 1 : start + self.chunk + 1]


class CharGRU(nn.Module):
    def __init__(self, vocab: int = 65) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, 32)
        self.rnn = nn.GRU(32, 64, num_layers=2, batch_first=True)
        self.head = nn.Linear(64, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.rnn(self.emb(x))[0])


def build_char_gru_lm() -> tuple[Any, Any, Any]:
    def loss_fn(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))

    return CharGRU(), DataLoader(CharStream(), batch_size=8), loss_fn


# ------------------------------------------------------------------------------------- Hugging Face


class _DictRows(Dataset):
    def __init__(self, rows: list[dict[str, torch.Tensor]]) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return self.rows[i]


_TINY_TEXT = {
    "vocab_size": 100,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    "max_position_embeddings": 64,
}


def _text_rows(n: int, length: int, label: Any = None, lm: bool = False) -> list[dict[str, torch.Tensor]]:
    rows = []
    for i in range(n):
        ids = torch.randint(3, 100, (length,))
        row = {"input_ids": ids, "attention_mask": torch.ones(length, dtype=torch.long)}
        if lm:
            row["labels"] = ids.clone()
        elif label is not None:
            row["labels"] = label(i)
        rows.append(row)
    return rows


def build_albert_seqcls() -> tuple[Any, Any, Any]:
    import transformers as tr

    config = tr.AlbertConfig(**_TINY_TEXT, embedding_size=16, num_labels=3)
    data = _DictRows(_text_rows(60, 16, lambda i: torch.tensor(i % 3)))
    return tr.AlbertForSequenceClassification(config), data, None


def build_electra_tokencls() -> tuple[Any, Any, Any]:
    import transformers as tr

    config = tr.ElectraConfig(**_TINY_TEXT, embedding_size=16, num_labels=5)
    rng = random.Random(6)
    examples = []
    for _ in range(50):
        n = rng.randint(6, 20)
        examples.append(
            {
                "input_ids": [rng.randint(3, 99) for _ in range(n)],
                "labels": [rng.randrange(5) for _ in range(n)],
            }
        )

    def collate(rows: list[dict[str, list[int]]]) -> dict[str, torch.Tensor]:
        longest = max(len(r["input_ids"]) for r in rows)
        pad = [longest - len(r["input_ids"]) for r in rows]
        return {
            "input_ids": torch.tensor([r["input_ids"] + [0] * p for r, p in zip(rows, pad, strict=True)]),
            "attention_mask": torch.tensor(
                [[1] * len(r["input_ids"]) + [0] * p for r, p in zip(rows, pad, strict=True)]
            ),
            "labels": torch.tensor([r["labels"] + [-100] * p for r, p in zip(rows, pad, strict=True)]),
        }

    data = DataLoader(_ListDataset(examples), batch_size=8, collate_fn=collate)
    return tr.ElectraForTokenClassification(config), data, None


def build_deberta_regression() -> tuple[Any, Any, Any]:
    import transformers as tr

    config = tr.DebertaV2Config(
        **_TINY_TEXT, num_labels=1, relative_attention=True, position_buckets=16, pos_att_type=["p2c", "c2p"]
    )
    data = _DictRows(_text_rows(40, 16, lambda i: torch.tensor(float(i % 5) + 0.5)))  # essay scores
    return tr.DebertaV2ForSequenceClassification(config), data, None


def build_mpnet_mlm() -> tuple[Any, Any, Any]:
    import transformers as tr

    config = tr.MPNetConfig(**_TINY_TEXT)  # 32 relative buckets: HF hard-codes that many
    rows = _text_rows(48, 24, lm=True)
    for row in rows:
        masked = torch.rand(24) < 0.15
        masked[0] = True
        row["labels"] = torch.where(masked, row["input_ids"], -100)
        row["input_ids"] = torch.where(masked, 2, row["input_ids"])
    return tr.MPNetForMaskedLM(config), _DictRows(rows), None


def build_gpt_neox_lm() -> tuple[Any, Any, Any]:
    import transformers as tr

    config = tr.GPTNeoXConfig(**_TINY_TEXT, rotary_pct=0.25)
    return tr.GPTNeoXForCausalLM(config), _DictRows(_text_rows(40, 32, lm=True)), None


def build_mistral_lm() -> tuple[Any, Any, Any]:
    import transformers as tr

    config = tr.MistralConfig(
        **{**_TINY_TEXT, "num_attention_heads": 4}, num_key_value_heads=2, sliding_window=16
    )
    rng = random.Random(7)
    docs = [[rng.randint(3, 99) for _ in range(rng.randint(10, 40))] for _ in range(36)]

    def collate(batch: list[list[int]]) -> dict[str, torch.Tensor]:
        longest = max(map(len, batch))
        ids = torch.tensor([d + [0] * (longest - len(d)) for d in batch])
        mask = torch.tensor([[1] * len(d) + [0] * (longest - len(d)) for d in batch])
        return {"input_ids": ids, "attention_mask": mask, "labels": ids.masked_fill(mask == 0, -100)}

    return (
        tr.MistralForCausalLM(config),
        DataLoader(_ListDataset(docs), batch_size=6, collate_fn=collate),
        None,
    )


def build_qwen2_seqcls() -> tuple[Any, Any, Any]:
    import transformers as tr

    config = tr.Qwen2Config(
        **{**_TINY_TEXT, "num_attention_heads": 4}, num_key_value_heads=2, num_labels=4, pad_token_id=0
    )
    data = _DictRows(_text_rows(52, 20, lambda i: torch.tensor(i % 4)))
    return tr.Qwen2ForSequenceClassification(config), data, None


def build_phi_lm() -> tuple[Any, Any, Any]:
    import transformers as tr

    config = tr.PhiConfig(**_TINY_TEXT, partial_rotary_factor=0.5)
    return tr.PhiForCausalLM(config), DataLoader(_DictRows(_text_rows(30, 32, lm=True)), batch_size=4), None


def build_opt_lm() -> tuple[Any, Any, Any]:
    import transformers as tr

    config = tr.OPTConfig(
        vocab_size=100,
        hidden_size=32,
        num_hidden_layers=2,
        ffn_dim=64,
        num_attention_heads=2,
        max_position_embeddings=64,
        word_embed_proj_dim=32,
    )
    return tr.OPTForCausalLM(config), _DictRows(_text_rows(44, 32, lm=True)), None


def build_whisper_asr() -> tuple[Any, Any, Any]:
    import transformers as tr

    config = tr.WhisperConfig(
        vocab_size=100,
        num_mel_bins=80,
        encoder_layers=1,
        decoder_layers=1,
        d_model=32,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_source_positions=25,
        max_target_positions=32,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
        decoder_start_token_id=1,
        suppress_tokens=[],
        begin_suppress_tokens=[],
    )
    rows = [
        {"input_features": torch.randn(80, 50), "labels": torch.randint(3, 100, (10,))} for _ in range(24)
    ]
    return tr.WhisperForConditionalGeneration(config), _DictRows(rows), None


def _image_rows(n: int, classes: int, size: int = 32) -> list[dict[str, torch.Tensor]]:
    return [
        {"pixel_values": torch.randn(3, size, size), "labels": torch.tensor(i % classes)} for i in range(n)
    ]


_TINY_VIT = {
    "image_size": 32,
    "patch_size": 8,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 64,
}


def build_deit() -> tuple[Any, Any, Any]:
    import transformers as tr

    model = tr.DeiTForImageClassification(tr.DeiTConfig(**_TINY_VIT, num_labels=10))
    return model, DataLoader(_DictRows(_image_rows(60, 10)), batch_size=12, shuffle=True), None


def build_beit() -> tuple[Any, Any, Any]:
    import transformers as tr

    model = tr.BeitForImageClassification(tr.BeitConfig(**_TINY_VIT, num_labels=3, use_mean_pooling=True))
    return model, _DictRows(_image_rows(45, 3)), None


def build_swin_hf() -> tuple[Any, Any, Any]:
    import transformers as tr

    config = tr.SwinConfig(
        image_size=32,
        patch_size=2,
        embed_dim=16,
        depths=[1, 1],
        num_heads=[1, 2],
        window_size=4,
        num_labels=6,
    )
    return tr.SwinForImageClassification(config), _DictRows(_image_rows(36, 6)), None


def build_mobilenet_v2_hf() -> tuple[Any, Any, Any]:
    import transformers as tr

    config = tr.MobileNetV2Config(image_size=32, depth_multiplier=0.35, num_labels=8)
    model = tr.MobileNetV2ForImageClassification(config)
    images = torch.rand(64, 3, 32, 32)
    labels = _labels(64, 8)
    loader = DataLoader(TensorDataset(images, labels), batch_size=16, shuffle=True)
    # Logits come from `model(pixel_values=x).logits`; the loss is given separately.
    return model, loader, nn.CrossEntropyLoss()


def build_efficientnet_hf() -> tuple[Any, Any, Any]:
    import transformers as tr

    config = tr.EfficientNetConfig(
        image_size=32, width_coefficient=0.25, depth_coefficient=0.3, hidden_dim=320, num_labels=5
    )
    return tr.EfficientNetForImageClassification(config), _DictRows(_image_rows(40, 5)), None


def build_segformer() -> tuple[Any, Any, Any]:
    import transformers as tr

    config = tr.SegformerConfig(
        num_encoder_blocks=2,
        depths=[1, 1],
        sr_ratios=[2, 1],
        hidden_sizes=[16, 32],
        patch_sizes=[7, 3],
        strides=[4, 2],
        num_attention_heads=[1, 2],
        mlp_ratios=[2, 2],
        decoder_hidden_size=32,
        num_labels=4,
    )
    rows = []
    for _ in range(30):
        mask = torch.randint(0, 4, (32, 32))
        rows.append({"pixel_values": torch.randn(3, 32, 32), "labels": mask})
    return tr.SegformerForSemanticSegmentation(config), _DictRows(rows), None


# ---------------------------------------------------------------------------------------------- cases

CASES: list[Case] = [
    Case(
        "resnext_grouped_conv",
        build_resnext,
        _truth("classification", "image", 96, "resnet", "batchnorm", "relu", "cross_entropy", num_classes=10),
    ),
    Case(
        "densenet_concat",
        build_densenet,
        _truth("classification", "image", 140, "cnn", "batchnorm", "relu", "cross_entropy", num_classes=7),
    ),
    Case(
        "se_resnet_dict_imbalanced",
        build_se_resnet,
        _truth("classification", "image", 60, "resnet", "batchnorm", "relu", "cross_entropy", num_classes=5),
    ),
    Case(
        "wide_resnet_dropout_c100",
        build_wide_resnet,
        _truth(
            "classification", "image", 300, "resnet", "batchnorm", "relu", "cross_entropy", num_classes=100
        ),
    ),
    Case(
        "convmixer",
        build_convmixer,
        _truth("classification", "image", 80, None, "batchnorm", "gelu", "cross_entropy", num_classes=10),
    ),
    Case(
        "swin_plain_torch",
        build_swin_plain,
        _truth("classification", "image", 64, "vit", "layernorm", "gelu", "cross_entropy", num_classes=10),
    ),
    Case(
        "mlp_mixer",
        build_mlp_mixer,
        _truth("classification", "image", 120, None, "layernorm", "gelu", "cross_entropy", num_classes=20),
    ),
    Case(
        "siamese_contrastive",
        build_siamese_contrastive,
        _truth("metric_learning", "image", 80, "cnn", "none", "relu", None),
    ),
    Case(
        "conv_autoencoder_mse",
        build_conv_autoencoder,
        _truth(None, "image", 64, "cnn", "batchnorm", "leaky_relu", "mse"),
    ),
    Case("vae_mlp_mnist", build_vae, _truth("generation", "image", 100, "mlp", "none", "relu", None)),
    Case(
        "unet_segmentation",
        build_unet,
        _truth("segmentation", "image", 32, "cnn", "batchnorm", "relu", "cross_entropy", num_classes=3),
    ),
    Case(
        "lightning_groupnorm_datamodule",
        build_lightning_groupnorm,
        _truth("classification", "image", 48, "cnn", "groupnorm", "silu", "cross_entropy", num_classes=4),
    ),
    Case(
        "tabular_conv1d_hinge",
        build_tabular_conv1d,
        _truth("classification", "tabular", 256, "cnn", "batchnorm", "relu", "hinge", num_classes=3),
    ),
    Case(
        "triplet_mlp_embedder",
        build_triplet_mlp,
        _truth("metric_learning", "tabular", 120, "mlp", "none", "elu", "triplet"),
    ),
    Case(
        "ft_transformer_num_cat",
        build_ft_transformer,
        _truth(
            "classification",
            "tabular",
            150,
            "transformer",
            "layernorm",
            "gelu",
            "cross_entropy",
            num_classes=2,
        ),
    ),
    Case(
        "tabnet_ish_regression",
        build_tabnet_regression,
        _truth("regression", "tabular", 200, "mlp", "batchnorm", None, "mse"),
    ),
    Case(
        "wide_deep_embeddingbag",
        build_wide_and_deep,
        _truth("classification", "tabular", 200, "mlp", "none", "relu", "bce", num_classes=2, sparse=True),
    ),
    Case(
        "churn_dict_focal",
        build_churn_focal,
        _truth("classification", "tabular", 150, "mlp", "batchnorm", "silu", "focal", num_classes=4),
    ),
    Case(
        "bow_multilabel_bce",
        build_bow_multilabel,
        _truth("classification", "text", 120, "mlp", "none", "relu", "bce", num_classes=6, sparse=True),
    ),
    Case(
        "tcn_forecast", build_tcn_forecast, _truth("regression", "sequence", 128, None, "none", "relu", "mse")
    ),
    Case(
        "conformer_keyword_spotting",
        build_conformer_kws,
        _truth("classification", "audio", 96, "transformer", None, "silu", "cross_entropy", num_classes=12),
    ),
    Case("bilstm_ctc_asr", build_lstm_ctc, _truth("seq2seq", "audio", 40, "lstm", "none", None, "ctc")),
    Case(
        "gru_seq2seq_translation",
        build_gru_seq2seq,
        _truth("seq2seq", "text", 64, "gru", "none", None, "cross_entropy"),
    ),
    Case(
        "bilstm_ner_tagger",
        build_bilstm_tagger,
        _truth("classification", "text", 70, "lstm", "none", None, "cross_entropy", num_classes=9),
    ),
    Case(
        "text_cnn_sentiment",
        build_text_cnn,
        _truth("classification", "text", 90, "cnn", "none", "relu", "cross_entropy", num_classes=2),
    ),
    Case(
        "char_gru_lm_iterable",
        build_char_gru_lm,
        _truth("causal_lm", "text", None, "gru", "none", None, "cross_entropy"),
    ),
    Case(
        "hf_albert_seqcls",
        build_albert_seqcls,
        _truth(
            "classification", "text", 60, "transformer", "layernorm", "gelu", "cross_entropy", num_classes=3
        ),
    ),
    Case(
        "hf_electra_tokencls_collate",
        build_electra_tokencls,
        _truth(
            "classification", "text", 50, "transformer", "layernorm", "gelu", "cross_entropy", num_classes=5
        ),
    ),
    Case(
        "hf_deberta_v2_regression",
        build_deberta_regression,
        _truth("regression", "text", 40, "transformer", "layernorm", "gelu", "mse"),
    ),
    Case(
        "hf_mpnet_mlm",
        build_mpnet_mlm,
        _truth("masked_lm", "text", 48, "transformer", "layernorm", "gelu", "cross_entropy"),
    ),
    Case(
        "hf_gpt_neox_lm",
        build_gpt_neox_lm,
        _truth("causal_lm", "text", 40, "transformer", "layernorm", "gelu", "cross_entropy"),
    ),
    Case(
        "hf_mistral_lm_collate",
        build_mistral_lm,
        _truth("causal_lm", "text", 36, "transformer", "rmsnorm", "swiglu", "cross_entropy"),
    ),
    Case(
        "hf_qwen2_seqcls",
        build_qwen2_seqcls,
        _truth(
            "classification", "text", 52, "transformer", "rmsnorm", "swiglu", "cross_entropy", num_classes=4
        ),
    ),
    Case(
        "hf_phi_lm",
        build_phi_lm,
        _truth("causal_lm", "text", 30, "transformer", "layernorm", "gelu", "cross_entropy"),
    ),
    Case(
        "hf_opt_lm",
        build_opt_lm,
        _truth("causal_lm", "text", 44, "transformer", "layernorm", "relu", "cross_entropy"),
    ),
    Case(
        "hf_whisper_asr",
        build_whisper_asr,
        _truth("seq2seq", "audio", 24, "transformer", "layernorm", "gelu", "cross_entropy"),
    ),
    Case(
        "hf_deit_imgcls",
        build_deit,
        _truth("classification", "image", 60, "vit", "layernorm", "gelu", "cross_entropy", num_classes=10),
    ),
    Case(
        "hf_beit_imgcls",
        build_beit,
        _truth("classification", "image", 45, "vit", "layernorm", "gelu", "cross_entropy", num_classes=3),
    ),
    Case(
        "hf_swin_imgcls",
        build_swin_hf,
        _truth("classification", "image", 36, "vit", "layernorm", "gelu", "cross_entropy", num_classes=6),
    ),
    Case(
        "hf_mobilenet_v2_tuples",
        build_mobilenet_v2_hf,
        _truth(
            "classification", "image", 64, "mobilenet", "batchnorm", "relu6", "cross_entropy", num_classes=8
        ),
    ),
    Case(
        "hf_efficientnet",
        build_efficientnet_hf,
        _truth(
            "classification", "image", 40, "mobilenet", "batchnorm", "silu", "cross_entropy", num_classes=5
        ),
    ),
    Case(
        "hf_segformer_semseg",
        build_segformer,
        _truth("segmentation", "image", 30, "vit", None, "gelu", "cross_entropy", num_classes=4),
    ),
]
