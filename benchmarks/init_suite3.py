"""A third held-out suite for profile inference: 43 models as people write them today.

    .venv/bin/python benchmarks/init_accuracy.py --suite init_suite3

Written without opening benchmarks/init_suite.py, benchmarks/init_suite2.py or the inference
(advisor/integrations/profile_inference.py); only `Case`, `COUNT` and `count_params` are imported
from init_suite. Every truth below was written before the inference was first run on its case.

Truth conventions (`None` = not scored):

* `data.num_samples` is `len(dataset)` of the dataset handed over (or behind the DataLoader); for
  language models it is the number of sequences. `data.num_classes` only for classification-like
  tasks (multi-label: the number of labels; binary with one logit: 2).
* `model.num_params` is always `COUNT` (the sum of `p.numel()` over the module handed over).
* `loss.name` is None where the loss is not among the profile's names (KL divergence, Huber, a VAE's
  ELBO); for Hugging Face models that compute their own loss (`loss_fn` is None) it is the loss the
  model computes (cross-entropy; CTC for `*ForCTC`).

Judgement calls:

* ConvNeXt (hand-written and HF ConvNeXtV2) and MobileViT / CoAtNet hybrids: `model.family` None.
  ConvNeXt is a residual CNN modernised towards transformers; between `cnn` and `resnet` neither is
  clearly right. MobileViT / CoAtNet mix inverted-residual conv stages with transformer stages.
* RegNet (hand-written Y-blocks and HF RegNet): `resnet`, as they are residual bottleneck blocks
  (ResNeXt-style) with BatchNorm + ReLU.
* EfficientNetV2 (fused-MBConv + MBConv): `mobilenet` (inverted residuals with expansion, the
  MobileNetV2 lineage; the profile has no `efficientnet`).
* MLP-Mixer on image patches: `mlp` (it has no attention and no convolution besides the patch
  projection, written here as a Linear on unfolded patches).
* PointNet on (B, N, 3) point clouds: `data.modality` None (none of image/text/tabular/sequence/audio
  fits an unordered point set); `model.family` `mlp` (shared per-point Linear layers, max-pool).
* N-BEATS and the TCN forecast windows of a time series: modality `sequence`, even though N-BEATS
  sees a flat (B, 48) window. The keyword-spotting CNN sees log-mel spectrograms (B, 1, 40, 51):
  modality `audio`, the truth of the data, even though the tensor looks like an image.
* Normalization is None where two kinds are mixed as equals (CoAtNet and MobileViT: BatchNorm in
  the conv stages, LayerNorm in the transformer; HuBERT/WavLM: GroupNorm in the first feature
  conv, LayerNorm in the transformer). OLMo's non-parametric LayerNorm is `layernorm`. LeViT uses
  BatchNorm everywhere (attention included): `batchnorm`.
* Activation: GELU variants (tanh approximation, `gelu_new`) are `gelu`. Gemma's gated GELU (GeGLU)
  and LeViT's Hardswish are not among the profile's activations: None. Marian is built with
  `activation_function="swish"` as the Opus-MT checkpoints are: `silu`. Recurrent models: `tanh`
  where the model has an explicit tanh besides the cell (additive attention, Bahdanau decoder);
  None for a bare GRU with a Linear head. The two-tower and RegNet SE gates' sigmoids are gates,
  not the activation.
* Two-tower recommender over user/item ids (thousands of ids, one hot each): `sparse_features`
  true. The dict-input tabular regressor with three low-cardinality categorical columns:
  `sparse_features` None (embeddings of small categoricals, ambiguous).
* Knowledge distillation (KLDivLoss between student and teacher soft targets): task
  `classification` with 10 classes, loss None. The conv VAE: task `generation`, loss None.
* Token classification (NER, XLM-R) is `classification` with 9 tags.
* A wrapper module (`ModelWithPreprocessing`, the DINOv2 backbone + linear head) is counted whole.
* The TorchScript CNN is handed over as the scripted module (`torch.jit.script`).
"""

from __future__ import annotations

import itertools
import math
import sys
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset, WeightedRandomSampler

sys.path.insert(0, str(Path(__file__).parent))
from init_suite import COUNT, Case
from init_suite import _gen as _g  # a seeded generator, written once
from init_suite2 import _ListDataset  # a list of samples as a Dataset, written once


def _t(task: str, modality: str | None, n: int, classes: int | None, family: str | None,
       norm: str | None, act: str | None, loss: str | None, sparse: bool | None = False) -> dict[str, Any]:
    return {
        "task": task, "data.modality": modality, "data.num_samples": n, "data.num_classes": classes,
        "data.sparse_features": sparse, "model.family": family, "model.num_params": COUNT,
        "model.normalization": norm, "model.activation": act, "loss.name": loss,
    }


def _img_ds(seed: int, n: int, c: int, hw: int, classes: int) -> TensorDataset:
    g = _g(seed)
    return TensorDataset(torch.randn(n, c, hw, hw, generator=g), torch.randint(0, classes, (n,), generator=g))


# ---------------------------------------------------------------- hand-written vision models


class ConvNeXtBlock(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(1e-6 * torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.dwconv(x).permute(0, 2, 3, 1)  # (N, C, H, W) -> (N, H, W, C)
        x = self.pwconv2(self.act(self.pwconv1(self.norm(x))))
        return shortcut + (self.gamma * x).permute(0, 3, 1, 2)


class LayerNorm2d(nn.LayerNorm):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class TinyConvNeXt(nn.Module):
    def __init__(self, dims: tuple[int, ...] = (16, 32, 64), num_classes: int = 10) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, dims[0], 4, stride=4), LayerNorm2d(dims[0], eps=1e-6))
        stages = []
        for i, d in enumerate(dims):
            down = nn.Identity() if i == 0 else nn.Sequential(
                LayerNorm2d(dims[i - 1], eps=1e-6), nn.Conv2d(dims[i - 1], d, 2, stride=2))
            stages.append(nn.Sequential(down, ConvNeXtBlock(d), ConvNeXtBlock(d)))
        self.stages = nn.ModuleList(stages)
        self.norm = nn.LayerNorm(dims[-1], eps=1e-6)
        self.head = nn.Linear(dims[-1], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for stage in self.stages:
            x = stage(x)
        return self.head(self.norm(x.mean((-2, -1))))


def convnext_channels_last() -> tuple:
    """timm-style ConvNeXt written by hand: LayerNorm channels-last via permute, layer scale; CE with
    label smoothing, DataLoader over 3x32x32 images."""
    ds = _img_ds(301, 320, 3, 32, 10)
    loader = DataLoader(ds, batch_size=32, shuffle=True)
    return TinyConvNeXt(), loader, nn.CrossEntropyLoss(label_smoothing=0.1)


class SqueezeExcite(nn.Module):
    def __init__(self, ch: int, squeeze: int, act: type[nn.Module] = nn.ReLU) -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(ch, squeeze, 1)
        self.act = act()
        self.fc2 = nn.Conv2d(squeeze, ch, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean((2, 3), keepdim=True)
        return x * torch.sigmoid(self.fc2(self.act(self.fc1(s))))


class YBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, group_width: int = 8) -> None:
        super().__init__()
        self.a = nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout),
                               nn.ReLU(inplace=True))
        self.b = nn.Sequential(nn.Conv2d(cout, cout, 3, stride, 1, groups=cout // group_width, bias=False),
                               nn.BatchNorm2d(cout), nn.ReLU(inplace=True))
        self.se = SqueezeExcite(cout, max(cin // 4, 1))
        self.c = nn.Sequential(nn.Conv2d(cout, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.proj = None
        if stride != 1 or cin != cout:
            self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.proj is None else self.proj(x)
        return F.relu(shortcut + self.c(self.se(self.b(self.a(x)))))


class RegNetY(nn.Module):
    def __init__(self, widths: tuple[int, ...] = (16, 32, 48), depths: tuple[int, ...] = (1, 2, 2),
                 num_classes: int = 20) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16),
                                  nn.ReLU(inplace=True))
        blocks: list[nn.Module] = []
        cin = 16
        for w, d in zip(widths, depths, strict=True):
            for j in range(d):
                blocks.append(YBlock(cin, w, 2 if j == 0 else 1))
                cin = w
        self.trunk = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(self.stem(x)))


def regnety_handwritten() -> tuple:
    """RegNetY-style (group-conv bottleneck + squeeze-excite), 20 classes, a Dataset yielding dicts."""
    ds = _img_ds(302, 200, 3, 32, 20)
    items = [{"image": x, "label": y} for x, y in ds]
    return RegNetY(), _ListDataset(items), nn.CrossEntropyLoss()


class MBConvGELU(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int = 4) -> None:
        super().__init__()
        mid = cin * expand
        self.pre_norm = nn.BatchNorm2d(cin)
        self.expand = nn.Conv2d(cin, mid, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.dw = nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.se = SqueezeExcite(mid, max(cin // 4, 4), nn.GELU)
        self.project = nn.Conv2d(mid, cout, 1)
        self.short = nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(cin, cout, 1)) if stride > 1 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.gelu(self.bn1(self.expand(self.pre_norm(x))))
        y = self.se(F.gelu(self.bn2(self.dw(y))))
        return self.short(x) + self.project(y)


class CoAtNetTiny(nn.Module):
    def __init__(self, num_classes: int = 10, dim: int = 48) -> None:
        super().__init__()
        self.s0 = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.GELU(),
                                nn.Conv2d(16, 16, 3, 1, 1))
        self.s1 = MBConvGELU(16, 24, 2)
        self.s2 = MBConvGELU(24, dim, 2)
        self.pos = nn.Parameter(torch.zeros(1, 16, dim))
        layer = nn.TransformerEncoderLayer(dim, 4, 2 * dim, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.s3 = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.fc = nn.Linear(dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.s2(self.s1(self.s0(x)))  # (N, dim, 4, 4)
        tokens = x.flatten(2).transpose(1, 2) + self.pos
        return self.fc(self.norm(self.s3(tokens)).mean(1))


def coatnet_hybrid() -> tuple:
    """CoAtNet-style: conv stem + MBConv stages (BatchNorm, GELU) then transformer stages (LayerNorm)."""
    return CoAtNetTiny(), _img_ds(303, 256, 3, 32, 10), nn.CrossEntropyLoss()


class FusedMBConv(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = cin * expand
        self.conv_exp = nn.Sequential(nn.Conv2d(cin, mid, 3, stride, 1, bias=False), nn.BatchNorm2d(mid),
                                      nn.SiLU())
        self.conv_pwl = nn.Sequential(nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.has_skip = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv_pwl(self.conv_exp(x))
        return x + y if self.has_skip else y


class MBConvSiLU(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = cin * expand
        self.conv_pw = nn.Sequential(nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.SiLU())
        self.conv_dw = nn.Sequential(nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False),
                                     nn.BatchNorm2d(mid), nn.SiLU())
        self.se = SqueezeExcite(mid, max(cin // 4, 4), nn.SiLU)
        self.conv_pwl = nn.Sequential(nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.has_skip = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv_pwl(self.se(self.conv_dw(self.conv_pw(x))))
        return x + y if self.has_skip else y


class EfficientNetV2Tiny(nn.Module):
    def __init__(self, num_classes: int = 37) -> None:
        super().__init__()
        self.conv_stem = nn.Conv2d(3, 16, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.blocks = nn.Sequential(
            FusedMBConv(16, 16, 1, 1), FusedMBConv(16, 24, 2, 4), FusedMBConv(24, 24, 1, 4),
            MBConvSiLU(24, 40, 2, 4), MBConvSiLU(40, 40, 1, 6),
        )
        self.conv_head = nn.Conv2d(40, 128, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(128)
        self.classifier = nn.Linear(128, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.silu(self.bn1(self.conv_stem(x)))
        x = F.silu(self.bn2(self.conv_head(self.blocks(x))))
        return self.classifier(F.dropout(x.mean((2, 3)), 0.2, self.training))


def effnetv2_fused_mbconv() -> tuple:
    """EfficientNetV2-style: fused-MBConv early, MBConv + SE later, SiLU + BatchNorm; 37 pet breeds."""
    ds = _img_ds(304, 185, 3, 32, 37)
    loader = DataLoader(ds, batch_size=16, shuffle=True, drop_last=True)
    return EfficientNetV2Tiny(), loader, nn.CrossEntropyLoss()


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    def __init__(self, block: type[BasicBlock], layers: list[int], num_classes: int = 1000,
                 widths: tuple[int, ...] = (64, 128, 256, 512)) -> None:
        super().__init__()
        self.inplanes = widths[0]
        self.conv1 = nn.Conv2d(3, self.inplanes, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(block, widths[0], layers[0])
        self.layer2 = self._make_layer(block, widths[1], layers[1], stride=2)
        self.layer3 = self._make_layer(block, widths[2], layers[2], stride=2)
        self.layer4 = self._make_layer(block, widths[3], layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[3] * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def _make_layer(self, block: type[BasicBlock], planes: int, blocks: int,
                    stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                nn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resnet18_torchvision_names() -> tuple:
    """ResNet-18 layout ([2, 2, 2, 2] BasicBlocks) with torchvision's names, narrow widths; 100 classes."""
    model = ResNet(BasicBlock, [2, 2, 2, 2], num_classes=100, widths=(8, 16, 32, 64))
    return model, _img_ds(305, 500, 3, 64, 100), nn.CrossEntropyLoss()


class StudentCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Linear(32 * 8 * 8, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).flatten(1))


class DistillationLoss(nn.Module):
    def __init__(self, temperature: float = 4.0) -> None:
        super().__init__()
        self.t = temperature
        self.kl = nn.KLDivLoss(reduction="batchmean")

    def forward(self, student_logits: torch.Tensor, teacher_logits: torch.Tensor) -> torch.Tensor:
        soft = F.softmax(teacher_logits / self.t, -1)
        return self.kl(F.log_softmax(student_logits / self.t, -1), soft) * self.t**2


class _KDDataset(Dataset):
    """(image, teacher logits, label): teacher logits precomputed offline."""

    def __init__(self, n: int) -> None:
        g = _g(306)
        self.x = torch.randn(n, 3, 32, 32, generator=g)
        self.y = torch.randint(0, 10, (n,), generator=g)
        self.teacher = torch.randn(n, 10, generator=g) + 3 * F.one_hot(self.y, 10)

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.x[i], self.teacher[i], self.y[i]


def kd_student_kldiv() -> tuple:
    """Knowledge distillation: a small CNN student against stored teacher logits, KLDivLoss with T=4."""
    return StudentCNN(), _KDDataset(240), DistillationLoss()


class MixerBlock(nn.Module):
    def __init__(self, tokens: int, dim: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.token_mlp = nn.Sequential(nn.Linear(tokens, 2 * tokens), nn.GELU(),
                                       nn.Linear(2 * tokens, tokens))
        self.norm2 = nn.LayerNorm(dim)
        self.channel_mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.token_mlp(self.norm1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.channel_mlp(self.norm2(x))


class MLPMixer(nn.Module):
    def __init__(self, patch: int = 4, hw: int = 32, dim: int = 32, depth: int = 3,
                 classes: int = 10) -> None:
        super().__init__()
        self.patch = patch
        tokens = (hw // patch) ** 2
        self.stem = nn.Linear(3 * patch * patch, dim)
        self.blocks = nn.Sequential(*[MixerBlock(tokens, dim) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        patches = F.unfold(x, self.patch, stride=self.patch).transpose(1, 2)  # (N, tokens, 3*p*p)
        return self.head(self.norm(self.blocks(self.stem(patches))).mean(1))


def mlp_mixer() -> tuple:
    """MLP-Mixer on 32x32 images; patches by F.unfold + Linear (no conv)."""
    return MLPMixer(), _img_ds(307, 300, 3, 32, 10), nn.CrossEntropyLoss()


class ConvVAE(nn.Module):
    def __init__(self, z: int = 8) -> None:
        super().__init__()
        self.enc = nn.Sequential(
            nn.Conv2d(1, 16, 4, 2, 1), nn.BatchNorm2d(16), nn.LeakyReLU(0.2),
            nn.Conv2d(16, 32, 4, 2, 1), nn.BatchNorm2d(32), nn.LeakyReLU(0.2), nn.Flatten(),
        )
        self.mu = nn.Linear(32 * 7 * 7, z)
        self.logvar = nn.Linear(32 * 7 * 7, z)
        self.dec_in = nn.Linear(z, 32 * 7 * 7)
        self.dec = nn.Sequential(
            nn.ConvTranspose2d(32, 16, 4, 2, 1), nn.BatchNorm2d(16), nn.LeakyReLU(0.2),
            nn.ConvTranspose2d(16, 1, 4, 2, 1), nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = self.enc(x)
        mu, logvar = self.mu(h), self.logvar(h)
        zs = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.dec(self.dec_in(zs).view(-1, 32, 7, 7)), mu, logvar


def vae_loss(recon: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    bce = F.binary_cross_entropy(recon, x, reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return (bce + kld) / x.shape[0]


def conv_vae() -> tuple:
    """Convolutional VAE on unlabeled 28x28 grey images in [0, 1]; ELBO loss (BCE + KL)."""
    x = torch.rand(400, 1, 28, 28, generator=_g(308))
    return ConvVAE(), DataLoader(TensorDataset(x), batch_size=64, shuffle=True), vae_loss


class ScriptableCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(1, 8, 5)
        self.c2 = nn.Conv2d(8, 16, 5)
        self.f1 = nn.Linear(16 * 4 * 4, 64)
        self.f2 = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        return self.f2(F.relu(self.f1(torch.flatten(x, 1))))


def jit_scripted_cnn() -> tuple:
    """A small ReLU CNN handed over after torch.jit.script; Fashion-MNIST-shaped data."""
    return torch.jit.script(ScriptableCNN()), _img_ds(309, 350, 1, 28, 10), nn.CrossEntropyLoss()


# ---------------------------------------------------------------- points, tabular, recommender


class PointNetCls(nn.Module):
    def __init__(self, classes: int = 8) -> None:
        super().__init__()
        dims = [3, 32, 64, 128]
        self.mlps = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(dims))
        self.bns = nn.ModuleList(nn.BatchNorm1d(b) for b in dims[1:])
        self.head = nn.Sequential(nn.Linear(128, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.3),
                                  nn.Linear(64, classes))

    def forward(self, pts: torch.Tensor) -> torch.Tensor:  # (B, N, 3)
        x = pts
        for lin, bn in zip(self.mlps, self.bns, strict=True):
            x = F.relu(bn(lin(x).transpose(1, 2)).transpose(1, 2))  # shared per-point MLP
        return self.head(x.max(dim=1).values)


def pointnet_cls() -> tuple:
    """PointNet classification on point clouds (B, 64 points, xyz)."""
    g = _g(310)
    pts = torch.randn(160, 64, 3, generator=g)
    return PointNetCls(), TensorDataset(pts, torch.randint(0, 8, (160,), generator=g)), nn.CrossEntropyLoss()


class TwoTower(nn.Module):
    def __init__(self, n_users: int = 5000, n_items: int = 8000, dim: int = 16) -> None:
        super().__init__()
        self.user_emb = nn.Embedding(n_users, dim)
        self.item_emb = nn.Embedding(n_items, dim)
        self.user_tower = nn.Sequential(nn.Linear(dim, 32), nn.ReLU(), nn.Linear(32, 16))
        self.item_tower = nn.Sequential(nn.Linear(dim, 32), nn.ReLU(), nn.Linear(32, 16))

    def forward(self, user_id: torch.Tensor, item_id: torch.Tensor) -> torch.Tensor:
        u = self.user_tower(self.user_emb(user_id))
        v = self.item_tower(self.item_emb(item_id))
        return (u * v).sum(-1)  # click logit


def two_tower_recsys() -> tuple:
    """Two-tower click model over user/item ids; dict samples; BCEWithLogits on 0/1 clicks (~10% positive)."""
    g = _g(311)
    n = 3000
    users = torch.randint(0, 5000, (n,), generator=g)
    items = torch.randint(0, 8000, (n,), generator=g)
    clicks = (torch.rand(n, generator=g) < 0.1).float()
    rows = [{"user_id": users[i], "item_id": items[i], "clicked": clicks[i]} for i in range(n)]
    return TwoTower(), DataLoader(_ListDataset(rows), batch_size=256, shuffle=True), nn.BCEWithLogitsLoss()


class ModelWithPreprocessing(nn.Module):
    """Standardisation baked into the model: the exported artefact takes raw features."""

    def __init__(self, model: nn.Module, mean: torch.Tensor, std: torch.Tensor) -> None:
        super().__init__()
        self.model = model
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model((x - self.mean) / self.std)


def wrapped_silu_mlp_imbalanced() -> tuple:
    """Wrapper class around a SiLU MLP; 3 classes 80/15/5, class-weighted CE; DataLoader."""
    g = _g(312)
    x = torch.randn(600, 14, generator=g) * 5 + 2
    y = torch.cat([torch.zeros(480), torch.ones(90), torch.full((30,), 2.0)]).long()
    mlp = nn.Sequential(nn.Linear(14, 64), nn.SiLU(), nn.Linear(64, 64), nn.SiLU(), nn.Linear(64, 3))
    model = ModelWithPreprocessing(mlp, x.mean(0), x.std(0))
    weights = torch.tensor([1.0, 480 / 90, 480 / 30])
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
    return model, loader, nn.CrossEntropyLoss(weight=weights)


class FunctionalMLP(nn.Module):
    def __init__(self, sizes: tuple[int, ...] = (10, 48, 48, 1)) -> None:
        super().__init__()
        self.weights = nn.ParameterList(
            nn.Parameter(torch.randn(b, a) / math.sqrt(a)) for a, b in itertools.pairwise(sizes))
        self.biases = nn.ParameterList(nn.Parameter(torch.zeros(b)) for b in sizes[1:])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = len(self.weights)
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            x = F.linear(x, w, b)
            if i < n - 1:
                x = F.gelu(x)
        return x.squeeze(-1)


def functional_param_mlp_regression() -> tuple:
    """Raw nn.Parameter weights + F.linear/F.gelu; one float target; loss is F.mse_loss (a function)."""
    g = _g(313)
    x = torch.randn(700, 10, generator=g)
    y = x[:, :3].sum(1) + 0.1 * torch.randn(700, generator=g)
    return FunctionalMLP(), TensorDataset(x, y), F.mse_loss


class DictTabular(nn.Module):
    def __init__(self, n_num: int = 8, cards: tuple[int, ...] = (5, 12, 7)) -> None:
        super().__init__()
        self.embs = nn.ModuleList(nn.Embedding(c, 4) for c in cards)
        d = n_num + 4 * len(cards)
        self.net = nn.Sequential(nn.Linear(d, 64), nn.LayerNorm(64), nn.ReLU(),
                                 nn.Linear(64, 32), nn.LayerNorm(32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        cats = [emb(batch["cat"][:, i]) for i, emb in enumerate(self.embs)]
        return self.net(torch.cat([batch["num"], *cats], dim=1)).squeeze(-1)


class _HouseDataset(Dataset):
    def __init__(self, n: int) -> None:
        g = _g(314)
        self.num = torch.randn(n, 8, generator=g)
        self.cat = torch.stack([torch.randint(0, c, (n,), generator=g) for c in (5, 12, 7)], 1)
        self.price = torch.exp(self.num[:, 0] + 12)

    def __len__(self) -> int:
        return len(self.price)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"num": self.num[i], "cat": self.cat[i], "target": torch.log(self.price[i])}


def dict_forward_tabular_huber() -> tuple:
    """House prices: forward takes a dict (numeric + categorical columns), LayerNorm MLP, HuberLoss."""
    return DictTabular(), _HouseDataset(450), nn.HuberLoss(delta=1.0)


class FeatureTokenizer(nn.Module):
    def __init__(self, n_features: int, d: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_features, d) * 0.02)
        self.bias = nn.Parameter(torch.zeros(n_features, d))
        self.cls = nn.Parameter(torch.zeros(1, 1, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = x.unsqueeze(-1) * self.weight + self.bias  # (N, F, d)
        return torch.cat([self.cls.expand(len(x), -1, -1), tokens], 1)


class FTTransformer(nn.Module):
    def __init__(self, n_features: int = 12, d: int = 32) -> None:
        super().__init__()
        self.tok = FeatureTokenizer(n_features, d)
        layer = nn.TransformerEncoderLayer(d, 4, 64, dropout=0.1, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Sequential(nn.LayerNorm(d), nn.GELU(), nn.Linear(d, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(self.tok(x))[:, 0])


def ft_transformer_tabular() -> tuple:
    """FT-Transformer: per-feature tokens + CLS, pre-LN GELU encoder; churn yes/no as 2-logit CE."""
    g = _g(315)
    x = torch.randn(500, 12, generator=g)
    y = (x[:, 0] + x[:, 1] > 1).long()
    return FTTransformer(), TensorDataset(x, y), nn.CrossEntropyLoss()


# ---------------------------------------------------------------- sequences, signals, audio


class NBeatsBlock(nn.Module):
    def __init__(self, backcast: int, forecast: int, width: int = 64) -> None:
        super().__init__()
        self.fc = nn.Sequential(nn.Linear(backcast, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                                nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU())
        self.theta = nn.Linear(width, backcast + forecast)
        self.backcast = backcast

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        theta = self.theta(self.fc(x))
        return theta[:, :self.backcast], theta[:, self.backcast:]


class NBeats(nn.Module):
    def __init__(self, backcast: int = 48, forecast: int = 12, blocks: int = 3) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(NBeatsBlock(backcast, forecast) for _ in range(blocks))
        self.forecast = forecast

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual, out = x, x.new_zeros(len(x), self.forecast)
        for block in self.blocks:
            back, fore = block(residual)
            residual, out = residual - back, out + fore
        return out


def nbeats_forecaster() -> tuple:
    """N-BEATS (generic): 48-step history window -> 12-step forecast of one series; MSE."""
    t = torch.arange(0, 2000, dtype=torch.float32)
    series = torch.sin(t / 12) + 0.1 * torch.randn(2000, generator=_g(316))
    idx = torch.arange(0, 2000 - 60, 5)
    x = torch.stack([series[i:i + 48] for i in idx])
    y = torch.stack([series[i + 48:i + 60] for i in idx])
    return NBeats(), TensorDataset(x, y), nn.MSELoss()


class TCN(nn.Module):
    def __init__(self, cin: int = 4, ch: int = 32, levels: int = 4) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv1d(cin if i == 0 else ch, ch, 3, dilation=2**i) for i in range(levels))
        self.out = nn.Linear(ch, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, C, T)
        for i, conv in enumerate(self.convs):
            x = F.relu(conv(F.pad(x, (2 * 2**i, 0))))  # causal left padding
        return self.out(x[:, :, -1]).squeeze(-1)


def tcn_dilated_regression() -> tuple:
    """Dilated causal Conv1d stack (WaveNet/TCN-style, no norm) predicting the next load value; MSE."""
    g = _g(317)
    x = torch.randn(320, 4, 96, generator=g).cumsum(-1) / 10
    return TCN(), TensorDataset(x, x[:, 0, -1] + 0.05 * torch.randn(320, generator=g)), nn.MSELoss()


class ECGNet(nn.Module):
    def __init__(self, classes: int = 5) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = 1
        for cout in (16, 32, 32):
            layers += [nn.Conv1d(cin, cout, 7, padding=3), nn.BatchNorm1d(cout), nn.ReLU(), nn.MaxPool1d(2)]
            cin = cout
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool1d(1), nn.Flatten())
        self.fc = nn.Linear(32, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x))


def ecg_conv1d_imbalanced() -> tuple:
    """Heartbeat classification (MIT-BIH-style 187-sample beats), 5 classes heavily imbalanced,
    WeightedRandomSampler in the DataLoader."""
    g = _g(318)
    counts = [400, 60, 30, 20, 10]
    y = torch.cat([torch.full((c,), k) for k, c in enumerate(counts)])
    x = torch.randn(len(y), 1, 187, generator=g)
    w = torch.tensor([1.0 / counts[k] for k in y.tolist()])
    sampler = WeightedRandomSampler(w, num_samples=len(y), replacement=True, generator=_g(1))
    return ECGNet(), DataLoader(TensorDataset(x, y), batch_size=32, sampler=sampler), nn.CrossEntropyLoss()


class KWSNet(nn.Module):
    def __init__(self, classes: int = 12) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        )
        self.fc = nn.Linear(32, classes)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        return self.fc(self.body(mel).flatten(1))


def spectrogram_kws_cnn() -> tuple:
    """Keyword spotting (Speech Commands-style, 12 words) on log-mel spectrograms (1, 40 mels, 51 frames);
    dict samples {"mel", "label"}."""
    g = _g(319)
    mel = torch.log1p(torch.rand(360, 1, 40, 51, generator=g) * 10)
    labels = torch.randint(0, 12, (360,), generator=g)
    rows = [{"mel": mel[i], "label": labels[i]} for i in range(360)]
    return KWSNet(), _ListDataset(rows), nn.CrossEntropyLoss()


def _token_lists(seed: int, n: int, vocab: int, lo: int, hi: int) -> list[list[int]]:
    g = _g(seed)
    lengths = torch.randint(lo, hi, (n,), generator=g).tolist()
    return [torch.randint(2, vocab, (k,), generator=g).tolist() for k in lengths]


def pad_collate(batch: list[tuple[list[int], Any]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    seqs, labels = zip(*batch, strict=True)
    width = max(len(s) for s in seqs)
    ids = torch.zeros(len(seqs), width, dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(s)
    lengths = torch.tensor([len(s) for s in seqs])
    target = torch.stack([torch.as_tensor(label) for label in labels])
    return ids, lengths, target


class LSTMAttention(nn.Module):
    def __init__(self, vocab: int = 3000, emb: int = 32, hidden: int = 32, classes: int = 3) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb, padding_idx=0)
        self.lstm = nn.LSTM(emb, hidden, batch_first=True, bidirectional=True)
        self.att_w = nn.Linear(2 * hidden, 2 * hidden)
        self.att_v = nn.Linear(2 * hidden, 1, bias=False)
        self.out = nn.Linear(2 * hidden, classes)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        h, _ = self.lstm(self.embedding(ids))
        scores = self.att_v(torch.tanh(self.att_w(h))).squeeze(-1)
        scores = scores.masked_fill(ids == 0, -1e9)
        context = (torch.softmax(scores, -1).unsqueeze(-1) * h).sum(1)
        return self.out(context)


def lstm_additive_attention() -> tuple:
    """BiLSTM + additive attention pooling for 3-way sentiment; variable-length token lists padded by a
    custom collate_fn returning (ids, lengths, labels)."""
    seqs = _token_lists(320, 420, 3000, 8, 60)
    labels = torch.randint(0, 3, (420,), generator=_g(321)).tolist()
    ds = _ListDataset(list(zip(seqs, labels, strict=True)))
    loader = DataLoader(ds, batch_size=32, shuffle=True, collate_fn=pad_collate)
    return LSTMAttention(), loader, nn.CrossEntropyLoss()


class GRUTagger(nn.Module):
    def __init__(self, vocab: int = 5000, emb: int = 48, hidden: int = 32, labels: int = 6) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, emb, padding_idx=0)
        self.gru = nn.GRU(emb, hidden, num_layers=2, batch_first=True, bidirectional=True, dropout=0.2)
        self.fc = nn.Linear(2 * hidden, labels)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        out, _ = self.gru(self.emb(ids))
        return self.fc(out.max(dim=1).values)


def gru_multilabel_toxic() -> tuple:
    """Toxic-comment-style multi-label: 6 independent labels (multi-hot floats), 2-layer BiGRU, max-pool,
    BCEWithLogitsLoss(pos_weight)."""
    g = _g(322)
    ids = torch.randint(1, 5000, (380, 80), generator=g)
    ids[:, 60:] = 0
    labels = (torch.rand(380, 6, generator=g) < torch.tensor([0.1, 0.02, 0.05, 0.01, 0.05, 0.02])).float()
    loss = nn.BCEWithLogitsLoss(pos_weight=torch.full((6,), 5.0))
    return GRUTagger(), TensorDataset(ids, labels), loss


class Seq2SeqGRU(nn.Module):
    def __init__(self, src_vocab: int = 800, tgt_vocab: int = 900, emb: int = 32, hid: int = 48) -> None:
        super().__init__()
        self.src_emb = nn.Embedding(src_vocab, emb, padding_idx=0)
        self.tgt_emb = nn.Embedding(tgt_vocab, emb, padding_idx=0)
        self.encoder = nn.GRU(emb, hid, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * hid, hid)
        self.attn_enc = nn.Linear(2 * hid, hid, bias=False)
        self.attn_dec = nn.Linear(hid, hid)
        self.attn_v = nn.Linear(hid, 1, bias=False)
        self.cell = nn.GRUCell(emb + 2 * hid, hid)
        self.out = nn.Linear(hid + 2 * hid + emb, tgt_vocab)

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        enc, _ = self.encoder(self.src_emb(src))
        h = torch.tanh(self.bridge(enc.mean(1)))
        keys = self.attn_enc(enc)
        logits = []
        for t in range(tgt_in.shape[1]):
            e = self.tgt_emb(tgt_in[:, t])
            energy = self.attn_v(torch.tanh(keys + self.attn_dec(h).unsqueeze(1))).squeeze(-1)
            ctx = (torch.softmax(energy.masked_fill(src == 0, -1e9), -1).unsqueeze(-1) * enc).sum(1)
            h = self.cell(torch.cat([e, ctx], -1), h)
            logits.append(self.out(torch.cat([h, ctx, e], -1)))
        return torch.stack(logits, 1)


def gru_seq2seq_bahdanau() -> tuple:
    """Bahdanau-attention GRU translation; (src, tgt_in, tgt_out) triples; CE ignoring pad id 0."""
    g = _g(323)
    src = torch.randint(3, 800, (260, 12), generator=g)
    tgt = torch.randint(3, 900, (260, 15), generator=g)
    tgt[:, 0] = 1  # BOS
    return Seq2SeqGRU(), TensorDataset(src, tgt[:, :-1], tgt[:, 1:]), nn.CrossEntropyLoss(ignore_index=0)


# ---------------------------------------------------------------- hand-written transformers


class Perceiver(nn.Module):
    def __init__(self, latents: int = 16, dim: int = 32, classes: int = 4) -> None:
        super().__init__()
        self.byte_emb = nn.Embedding(256, dim)
        self.pos = nn.Parameter(torch.randn(1, 256, dim) * 0.02)
        self.latents = nn.Parameter(torch.randn(latents, dim) * 0.02)
        self.norm_q = nn.LayerNorm(dim)
        self.norm_kv = nn.LayerNorm(dim)
        self.cross = nn.MultiheadAttention(dim, 1, batch_first=True)
        self.cross_mlp = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, 2 * dim), nn.GELU(),
                                       nn.Linear(2 * dim, dim))
        layer = nn.TransformerEncoderLayer(dim, 4, 2 * dim, 0.0, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.latent_tf = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(dim, classes)

    def forward(self, byte_ids: torch.Tensor) -> torch.Tensor:
        kv = self.norm_kv(self.byte_emb(byte_ids) + self.pos[:, :byte_ids.shape[1]])
        q = self.latents.expand(len(byte_ids), -1, -1)
        z = q + self.cross(self.norm_q(q), kv, kv, need_weights=False)[0]
        z = z + self.cross_mlp(z)
        return self.head(self.latent_tf(z).mean(1))


def perceiver_bytes() -> tuple:
    """Perceiver-style: 16 latents cross-attend to 256 UTF-8 bytes of a text; 4 topics."""
    g = _g(324)
    x = torch.randint(32, 127, (300, 256), generator=g)
    return Perceiver(), TensorDataset(x, torch.randint(0, 4, (300,), generator=g)), nn.CrossEntropyLoss()


class LocalAttentionBlock(nn.Module):
    def __init__(self, dim: int, heads: int, window: int) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
        self.heads, self.window = heads, window

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        i = torch.arange(t, device=x.device)
        band = (i[None, :] <= i[:, None]) & (i[:, None] - i[None, :] < self.window)  # causal sliding window
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=band)
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, d))
        return x + self.mlp(self.ln2(x))


class LocalAttentionLM(nn.Module):
    def __init__(self, vocab: int = 512, dim: int = 48, layers: int = 2, ctx: int = 128) -> None:
        super().__init__()
        self.tok = nn.Embedding(vocab, dim)
        self.pos = nn.Embedding(ctx, dim)
        self.blocks = nn.ModuleList(LocalAttentionBlock(dim, 4, 16) for _ in range(layers))
        self.ln_f = nn.LayerNorm(dim)
        self.lm_head = nn.Linear(dim, vocab, bias=False)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        x = self.tok(idx) + self.pos(torch.arange(idx.shape[1], device=idx.device))
        for block in self.blocks:
            x = block(x)
        return self.lm_head(self.ln_f(x))


def local_window_attention_lm() -> tuple:
    """Sliding-window (16-token) causal attention LM in plain torch (SDPA + band mask); 128-token blocks."""
    ids = torch.randint(0, 512, (96, 129), generator=_g(325))
    return LocalAttentionLM(), TensorDataset(ids[:, :-1], ids[:, 1:]), nn.CrossEntropyLoss()


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps
        self.scale = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)


class GPTBlock(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.norm1 = RMSNorm(dim)
        self.attn = nn.Linear(dim, 3 * dim, bias=False)
        self.o = nn.Linear(dim, dim, bias=False)
        self.norm2 = RMSNorm(dim)
        self.fc_in = nn.Linear(dim, 4 * dim, bias=False)
        self.fc_out = nn.Linear(4 * dim, dim, bias=False)
        self.heads = heads

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.attn(self.norm1(x)).split(d, -1)
        q, k, v = (z.view(b, t, self.heads, -1).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, d)
        x = x + self.o(y)
        return x + self.fc_out(F.gelu(self.fc_in(self.norm2(x)), approximate="tanh"))


class GPTRMS(nn.Module):
    def __init__(self, vocab: int = 1024, dim: int = 64, layers: int = 3, ctx: int = 64) -> None:
        super().__init__()
        self.wte = nn.Embedding(vocab, dim)
        self.wpe = nn.Embedding(ctx, dim)
        self.h = nn.ModuleList(GPTBlock(dim, 4) for _ in range(layers))
        self.norm_f = RMSNorm(dim)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        x = self.wte(idx) + self.wpe.weight[: idx.shape[1]]
        for block in self.h:
            x = block(x)
        return self.norm_f(x) @ self.wte.weight.T  # tied head


def gpt_custom_rmsnorm_gelu() -> tuple:
    """Hand-written GPT: own RMSNorm class (not nn.RMSNorm), tanh-GELU MLP, tied head; dict batches of
    {"input_ids", "labels"} already shifted."""
    ids = torch.randint(0, 1024, (128, 65), generator=_g(326))
    rows = [{"input_ids": r[:-1], "labels": r[1:]} for r in ids]
    return GPTRMS(), _ListDataset(rows), nn.CrossEntropyLoss()


class SwiGLUExpert(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.w1 = nn.Linear(dim, hidden, bias=False)
        self.w3 = nn.Linear(dim, hidden, bias=False)
        self.w2 = nn.Linear(hidden, dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class MoE(nn.Module):
    def __init__(self, dim: int, experts: int = 4, top_k: int = 2) -> None:
        super().__init__()
        self.gate = nn.Linear(dim, experts, bias=False)
        self.experts = nn.ModuleList(SwiGLUExpert(dim, 2 * dim) for _ in range(experts))
        self.top_k = top_k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights, chosen = torch.topk(torch.softmax(self.gate(x), -1), self.top_k, -1)
        weights = weights / weights.sum(-1, keepdim=True)
        out = torch.zeros_like(x)
        for e, expert in enumerate(self.experts):
            w = (weights * (chosen == e)).sum(-1, keepdim=True)
            out = out + w * expert(x)  # dense evaluation: fine at this size
        return out


class MoEBlock(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.attn_norm = nn.RMSNorm(dim)
        self.attn = nn.MultiheadAttention(dim, 4, bias=False, batch_first=True)
        self.ffn_norm = nn.RMSNorm(dim)
        self.moe = MoE(dim)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.attn_norm(x)
        x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
        return x + self.moe(self.ffn_norm(x))


class MoEDecoder(nn.Module):
    def __init__(self, vocab: int = 700, dim: int = 48, layers: int = 2) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.layers = nn.ModuleList(MoEBlock(dim) for _ in range(layers))
        self.norm = nn.RMSNorm(dim)
        self.output = nn.Linear(dim, vocab, bias=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        t = tokens.shape[1]
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool, device=tokens.device), 1)
        x = self.embed(tokens)
        for layer in self.layers:
            x = layer(x, mask)
        return self.output(self.norm(x))


def moe_decoder_swiglu() -> tuple:
    """Mixtral-style decoder: top-2 of 4 SwiGLU experts, nn.RMSNorm, no positional embedding (toy)."""
    ids = torch.randint(0, 700, (80, 49), generator=_g(327))
    return MoEDecoder(), TensorDataset(ids[:, :-1], ids[:, 1:]), nn.CrossEntropyLoss()


class BertLayer(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.attention = nn.MultiheadAttention(dim, heads, dropout=0.1, batch_first=True)
        self.attention_norm = nn.LayerNorm(dim, eps=1e-12)
        self.intermediate = nn.Linear(dim, 4 * dim)
        self.output = nn.Linear(4 * dim, dim)
        self.output_norm = nn.LayerNorm(dim, eps=1e-12)
        self.dropout = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        x = self.attention_norm(x + self.dropout(self.attention(x, x, x, key_padding_mask=pad)[0]))
        return self.output_norm(x + self.dropout(self.output(F.gelu(self.intermediate(x)))))


class BertMLM(nn.Module):
    def __init__(self, vocab: int = 1200, dim: int = 48, layers: int = 2, ctx: int = 64) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, dim, padding_idx=0)
        self.position_embeddings = nn.Embedding(ctx, dim)
        self.token_type_embeddings = nn.Embedding(2, dim)
        self.emb_norm = nn.LayerNorm(dim, eps=1e-12)
        self.layers = nn.ModuleList(BertLayer(dim, 4) for _ in range(layers))
        self.transform = nn.Linear(dim, dim)
        self.transform_norm = nn.LayerNorm(dim, eps=1e-12)
        self.decoder_bias = nn.Parameter(torch.zeros(vocab))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        pos = torch.arange(input_ids.shape[1], device=input_ids.device)
        x = self.word_embeddings(input_ids) + self.position_embeddings(pos)
        x = self.emb_norm(x + self.token_type_embeddings(torch.zeros_like(input_ids)))
        pad = None if attention_mask is None else attention_mask == 0
        for layer in self.layers:
            x = layer(x, pad)
        h = self.transform_norm(F.gelu(self.transform(x)))
        return h @ self.word_embeddings.weight.T + self.decoder_bias


class _MLMDataset(Dataset):
    def __init__(self, n: int, vocab: int = 1200, length: int = 64, mask_id: int = 3) -> None:
        g = _g(328)
        self.ids = torch.randint(5, vocab, (n, length), generator=g)
        self.masked = torch.rand(n, length, generator=g) < 0.15
        self.mask_id = mask_id

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        labels = torch.where(self.masked[i], self.ids[i], torch.tensor(-100))
        inputs = torch.where(self.masked[i], torch.tensor(self.mask_id), self.ids[i])
        return {"input_ids": inputs, "attention_mask": torch.ones_like(inputs), "labels": labels}


def bert_mlm_handwritten() -> tuple:
    """BERT-style masked LM by hand: post-LN layers, GELU, tied decoder; 15% masked, -100 elsewhere."""
    return BertMLM(), DataLoader(_MLMDataset(150), batch_size=16), nn.CrossEntropyLoss(ignore_index=-100)


# ---------------------------------------------------------------- Hugging Face models (configs only)


def _hf_text_cls(seed: int, n: int, length: int, vocab: int, classes: int) -> list[dict[str, torch.Tensor]]:
    g = _g(seed)
    ids = torch.randint(5, vocab, (n, length), generator=g)
    labels = torch.randint(0, classes, (n,), generator=g)
    return [{"input_ids": ids[i], "attention_mask": torch.ones(length, dtype=torch.long), "labels": labels[i]}
            for i in range(n)]


def _hf_lm(seed: int, n: int, length: int, vocab: int) -> list[dict[str, torch.Tensor]]:
    ids = torch.randint(3, vocab, (n, length), generator=_g(seed))
    return [{"input_ids": r, "attention_mask": torch.ones_like(r), "labels": r.clone()} for r in ids]


def _hf_seq2seq(seed: int, n: int, src: int, tgt: int, vocab: int) -> list[dict[str, torch.Tensor]]:
    g = _g(seed)
    s = torch.randint(3, vocab, (n, src), generator=g)
    t = torch.randint(3, vocab, (n, tgt), generator=g)
    return [{"input_ids": s[i], "attention_mask": torch.ones(src, dtype=torch.long), "labels": t[i]}
            for i in range(n)]


def _pixel_rows(seed: int, n: int, hw: int, classes: int) -> list[dict[str, torch.Tensor]]:
    g = _g(seed)
    x = torch.randn(n, 3, hw, hw, generator=g)
    y = torch.randint(0, classes, (n,), generator=g)
    return [{"pixel_values": x[i], "labels": y[i]} for i in range(n)]


def hf_xlmr_ner() -> tuple:
    """XLMRobertaForTokenClassification, 9 BIO tags per token, -100 on special/padding positions."""
    from transformers import XLMRobertaConfig, XLMRobertaForTokenClassification

    cfg = XLMRobertaConfig(vocab_size=400, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                           intermediate_size=64, max_position_embeddings=80, num_labels=9)
    g = _g(329)
    ids = torch.randint(5, 400, (120, 40), generator=g)
    tags = torch.randint(0, 9, (120, 40), generator=g)
    tags[:, 0] = -100
    tags[:, 30:] = -100
    rows = [{"input_ids": ids[i], "attention_mask": torch.ones(40, dtype=torch.long), "labels": tags[i]}
            for i in range(120)]
    return XLMRobertaForTokenClassification(cfg), rows, None


def hf_bloom_lm() -> tuple:
    from transformers import BloomConfig, BloomForCausalLM

    cfg = BloomConfig(vocab_size=320, hidden_size=32, n_layer=2, n_head=2, pad_token_id=0, bos_token_id=1,
                      eos_token_id=2)
    return BloomForCausalLM(cfg), _hf_lm(330, 90, 48, 320), None


def hf_codegen_lm() -> tuple:
    """CodeGenForCausalLM (gelu_new, LayerNorm, parallel attention/MLP), wrapped in a DataLoader with
    a collate_fn stacking dicts."""
    from transformers import CodeGenConfig, CodeGenForCausalLM

    cfg = CodeGenConfig(vocab_size=300, n_embd=32, n_layer=2, n_head=2, n_positions=64, n_ctx=64,
                        rotary_dim=8, bos_token_id=1, eos_token_id=2, pad_token_id=0)

    def collate(rows: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        return {k: torch.stack([r[k] for r in rows]) for k in rows[0]}

    rows = _hf_lm(331, 100, 48, 300)
    return CodeGenForCausalLM(cfg), DataLoader(_ListDataset(rows), batch_size=8, collate_fn=collate), None


def hf_gemma_lm() -> tuple:
    from transformers import GemmaConfig, GemmaForCausalLM

    cfg = GemmaConfig(vocab_size=300, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=2, num_key_value_heads=1, head_dim=16, max_position_embeddings=128,
                      pad_token_id=0, bos_token_id=1, eos_token_id=2)
    return GemmaForCausalLM(cfg), _hf_lm(332, 70, 40, 300), None


def hf_olmo_lm() -> tuple:
    """OLMo: non-parametric LayerNorm, SwiGLU MLP."""
    from transformers import OlmoConfig, OlmoForCausalLM

    cfg = OlmoConfig(vocab_size=300, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                     num_attention_heads=2, max_position_embeddings=128, pad_token_id=0, bos_token_id=1,
                     eos_token_id=2)
    return OlmoForCausalLM(cfg), _hf_lm(333, 75, 40, 300), None


def hf_marian_mt() -> tuple:
    from transformers import MarianConfig, MarianMTModel

    cfg = MarianConfig(vocab_size=300, d_model=32, encoder_layers=2, decoder_layers=2,
                       encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
                       decoder_ffn_dim=64, max_position_embeddings=64, activation_function="swish",
                       pad_token_id=0, eos_token_id=1, decoder_start_token_id=0, forced_eos_token_id=1)
    return MarianMTModel(cfg), _hf_seq2seq(334, 110, 24, 20, 300), None


def hf_pegasus_summarization() -> tuple:
    from transformers import PegasusConfig, PegasusForConditionalGeneration

    cfg = PegasusConfig(vocab_size=300, d_model=32, encoder_layers=2, decoder_layers=1,
                        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
                        decoder_ffn_dim=64, max_position_embeddings=128, activation_function="relu",
                        pad_token_id=0, eos_token_id=1, decoder_start_token_id=0, forced_eos_token_id=1)
    return PegasusForConditionalGeneration(cfg), _hf_seq2seq(335, 64, 96, 24, 300), None


def hf_convnextv2_cls() -> tuple:
    from transformers import ConvNextV2Config, ConvNextV2ForImageClassification

    cfg = ConvNextV2Config(hidden_sizes=[8, 16, 32, 64], depths=[1, 1, 2, 1], num_labels=15, image_size=32)
    return ConvNextV2ForImageClassification(cfg), _pixel_rows(336, 150, 32, 15), None


def hf_regnet_cls() -> tuple:
    from transformers import RegNetConfig, RegNetForImageClassification

    cfg = RegNetConfig(embedding_size=8, hidden_sizes=[8, 16, 32, 48], depths=[1, 1, 2, 1], groups_width=8,
                       num_labels=6)
    return RegNetForImageClassification(cfg), _pixel_rows(337, 210, 32, 6), None


class Dinov2Classifier(nn.Module):
    def __init__(self, backbone: nn.Module, classes: int) -> None:
        super().__init__()
        self.backbone = backbone
        hidden = backbone.config.hidden_size
        self.head = nn.Linear(2 * hidden, classes)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        h = self.backbone(pixel_values=pixel_values).last_hidden_state
        return self.head(torch.cat([h[:, 0], h[:, 1:].mean(1)], -1))  # CLS + mean patch, as DINOv2 probes


def hf_dinov2_linear_head() -> tuple:
    """Dinov2Model backbone + a hand-written linear head (CLS ++ mean patch); (image, label) tuples."""
    from transformers import Dinov2Config, Dinov2Model

    cfg = Dinov2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, mlp_ratio=2, image_size=32,
                       patch_size=8)
    return Dinov2Classifier(Dinov2Model(cfg), 12), _img_ds(338, 130, 3, 32, 12), nn.CrossEntropyLoss()


_FEAT = {"conv_dim": (16,) * 7, "num_conv_pos_embeddings": 16, "num_conv_pos_embedding_groups": 4,
         "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64}


def hf_hubert_ctc() -> tuple:
    """HubertForCTC speech recognition: 0.4 s of 16 kHz audio, character labels padded with -100."""
    from transformers import HubertConfig, HubertForCTC

    cfg = HubertConfig(vocab_size=30, pad_token_id=0, **_FEAT)
    g = _g(339)
    wav = torch.randn(60, 6400, generator=g)
    labels = torch.randint(1, 30, (60, 8), generator=g)
    labels[:, 6:] = -100
    return HubertForCTC(cfg), [{"input_values": wav[i], "labels": labels[i]} for i in range(60)], None


def hf_wavlm_cls() -> tuple:
    """WavLMForSequenceClassification: emotion recognition, 4 classes, 0.4 s clips, DataLoader of dicts."""
    from transformers import WavLMConfig, WavLMForSequenceClassification

    cfg = WavLMConfig(num_labels=4, classifier_proj_size=16, num_buckets=32, max_bucket_distance=100, **_FEAT)
    g = _g(340)
    wav = torch.randn(80, 6400, generator=g)
    y = torch.randint(0, 4, (80,), generator=g)
    rows = [{"input_values": wav[i], "labels": y[i]} for i in range(80)]
    return WavLMForSequenceClassification(cfg), DataLoader(_ListDataset(rows), batch_size=8), None


def hf_funnel_cls() -> tuple:
    from transformers import FunnelConfig, FunnelForSequenceClassification

    cfg = FunnelConfig(vocab_size=400, block_sizes=[1, 1], num_decoder_layers=1, d_model=32, n_head=2,
                       d_head=16, d_inner=64, num_labels=3)
    return FunnelForSequenceClassification(cfg), _hf_text_cls(341, 140, 32, 400, 3), None


def hf_squeezebert_cls() -> tuple:
    from transformers import SqueezeBertConfig, SqueezeBertForSequenceClassification

    cfg = SqueezeBertConfig(vocab_size=400, hidden_size=32, embedding_size=32, num_hidden_layers=2,
                            num_attention_heads=2, intermediate_size=64, max_position_embeddings=64,
                            q_groups=2, k_groups=2, v_groups=2, post_attention_groups=2,
                            intermediate_groups=2, output_groups=2, num_labels=2)
    return SqueezeBertForSequenceClassification(cfg), _hf_text_cls(342, 160, 32, 400, 2), None


def hf_mobilevit_cls() -> tuple:
    from transformers import MobileViTConfig, MobileViTForImageClassification

    cfg = MobileViTConfig(image_size=64, hidden_sizes=[32, 40, 48], num_attention_heads=2, num_labels=8,
                          neck_hidden_sizes=[8, 8, 16, 16, 24, 32, 64])
    return MobileViTForImageClassification(cfg), _pixel_rows(343, 96, 64, 8), None


def hf_levit_cls() -> tuple:
    from transformers import LevitConfig, LevitForImageClassification

    cfg = LevitConfig(image_size=64, hidden_sizes=[32, 48, 64], num_attention_heads=[2, 3, 4],
                      depths=[1, 1, 1],
                      key_dim=[8, 8, 8], attention_ratio=[2, 2, 2], mlp_ratio=[2, 2, 2],
                      down_ops=[["Subsample", 8, 2, 4, 2, 2], ["Subsample", 8, 3, 4, 2, 2]], num_labels=5)
    return LevitForImageClassification(cfg), _pixel_rows(344, 100, 64, 5), None


CASES = [
    # hand-written vision
    Case("convnext_channels_last", convnext_channels_last,
         _t("classification", "image", 320, 10, None, "layernorm", "gelu", "cross_entropy")),
    Case("regnety_handwritten", regnety_handwritten,
         _t("classification", "image", 200, 20, "resnet", "batchnorm", "relu", "cross_entropy")),
    Case("coatnet_hybrid", coatnet_hybrid,
         _t("classification", "image", 256, 10, None, None, "gelu", "cross_entropy")),
    Case("effnetv2_fused_mbconv", effnetv2_fused_mbconv,
         _t("classification", "image", 185, 37, "mobilenet", "batchnorm", "silu", "cross_entropy")),
    Case("resnet18_torchvision_names", resnet18_torchvision_names,
         _t("classification", "image", 500, 100, "resnet", "batchnorm", "relu", "cross_entropy")),
    Case("kd_student_kldiv", kd_student_kldiv,
         _t("classification", "image", 240, 10, "cnn", "batchnorm", "relu", None)),
    Case("mlp_mixer", mlp_mixer,
         _t("classification", "image", 300, 10, "mlp", "layernorm", "gelu", "cross_entropy")),
    Case("conv_vae", conv_vae,
         _t("generation", "image", 400, None, "cnn", "batchnorm", "leaky_relu", None)),
    Case("jit_scripted_cnn", jit_scripted_cnn,
         _t("classification", "image", 350, 10, "cnn", "none", "relu", "cross_entropy")),
    # points, tabular, recommender
    Case("pointnet_cls", pointnet_cls,
         _t("classification", None, 160, 8, "mlp", "batchnorm", "relu", "cross_entropy")),
    Case("two_tower_recsys", two_tower_recsys,
         _t("classification", "tabular", 3000, 2, "mlp", "none", "relu", "bce", sparse=True)),
    Case("wrapped_silu_mlp_imbalanced", wrapped_silu_mlp_imbalanced,
         _t("classification", "tabular", 600, 3, "mlp", "none", "silu", "cross_entropy")),
    Case("functional_param_mlp_regression", functional_param_mlp_regression,
         _t("regression", "tabular", 700, None, "mlp", "none", "gelu", "mse")),
    Case("dict_forward_tabular_huber", dict_forward_tabular_huber,
         _t("regression", "tabular", 450, None, "mlp", "layernorm", "relu", None, sparse=None)),
    Case("ft_transformer_tabular", ft_transformer_tabular,
         _t("classification", "tabular", 500, 2, "transformer", "layernorm", "gelu", "cross_entropy")),
    # sequences, signals, audio
    Case("nbeats_forecaster", nbeats_forecaster,
         _t("regression", "sequence", 388, None, "mlp", "none", "relu", "mse")),
    Case("tcn_dilated_regression", tcn_dilated_regression,
         _t("regression", "sequence", 320, None, "cnn", "none", "relu", "mse")),
    Case("ecg_conv1d_imbalanced", ecg_conv1d_imbalanced,
         _t("classification", "sequence", 520, 5, "cnn", "batchnorm", "relu", "cross_entropy")),
    Case("spectrogram_kws_cnn", spectrogram_kws_cnn,
         _t("classification", "audio", 360, 12, "cnn", "batchnorm", "relu", "cross_entropy")),
    Case("lstm_additive_attention", lstm_additive_attention,
         _t("classification", "text", 420, 3, "lstm", "none", "tanh", "cross_entropy")),
    Case("gru_multilabel_toxic", gru_multilabel_toxic,
         _t("classification", "text", 380, 6, "gru", "none", None, "bce")),
    Case("gru_seq2seq_bahdanau", gru_seq2seq_bahdanau,
         _t("seq2seq", "text", 260, None, "gru", "none", "tanh", "cross_entropy")),
    # hand-written transformers
    Case("perceiver_bytes", perceiver_bytes,
         _t("classification", "text", 300, 4, "transformer", "layernorm", "gelu", "cross_entropy")),
    Case("local_window_attention_lm", local_window_attention_lm,
         _t("causal_lm", "text", 96, None, "transformer", "layernorm", "gelu", "cross_entropy")),
    Case("gpt_custom_rmsnorm_gelu", gpt_custom_rmsnorm_gelu,
         _t("causal_lm", "text", 128, None, "transformer", "rmsnorm", "gelu", "cross_entropy")),
    Case("moe_decoder_swiglu", moe_decoder_swiglu,
         _t("causal_lm", "text", 80, None, "transformer", "rmsnorm", "swiglu", "cross_entropy")),
    Case("bert_mlm_handwritten", bert_mlm_handwritten,
         _t("masked_lm", "text", 150, None, "transformer", "layernorm", "gelu", "cross_entropy")),
    # Hugging Face
    Case("hf_xlmr_ner", hf_xlmr_ner,
         _t("classification", "text", 120, 9, "transformer", "layernorm", "gelu", "cross_entropy")),
    Case("hf_bloom_lm", hf_bloom_lm,
         _t("causal_lm", "text", 90, None, "transformer", "layernorm", "gelu", "cross_entropy")),
    Case("hf_codegen_lm", hf_codegen_lm,
         _t("causal_lm", "text", 100, None, "transformer", "layernorm", "gelu", "cross_entropy")),
    Case("hf_gemma_lm", hf_gemma_lm,
         _t("causal_lm", "text", 70, None, "transformer", "rmsnorm", None, "cross_entropy")),
    Case("hf_olmo_lm", hf_olmo_lm,
         _t("causal_lm", "text", 75, None, "transformer", "layernorm", "swiglu", "cross_entropy")),
    Case("hf_marian_mt", hf_marian_mt,
         _t("seq2seq", "text", 110, None, "transformer", "layernorm", "silu", "cross_entropy")),
    Case("hf_pegasus_summarization", hf_pegasus_summarization,
         _t("seq2seq", "text", 64, None, "transformer", "layernorm", "relu", "cross_entropy")),
    Case("hf_convnextv2_cls", hf_convnextv2_cls,
         _t("classification", "image", 150, 15, None, "layernorm", "gelu", "cross_entropy")),
    Case("hf_regnet_cls", hf_regnet_cls,
         _t("classification", "image", 210, 6, "resnet", "batchnorm", "relu", "cross_entropy")),
    Case("hf_dinov2_linear_head", hf_dinov2_linear_head,
         _t("classification", "image", 130, 12, "vit", "layernorm", "gelu", "cross_entropy")),
    Case("hf_hubert_ctc", hf_hubert_ctc,
         _t("seq2seq", "audio", 60, None, "transformer", None, "gelu", "ctc")),
    Case("hf_wavlm_cls", hf_wavlm_cls,
         _t("classification", "audio", 80, 4, "transformer", None, "gelu", "cross_entropy")),
    Case("hf_funnel_cls", hf_funnel_cls,
         _t("classification", "text", 140, 3, "transformer", "layernorm", "gelu", "cross_entropy")),
    Case("hf_squeezebert_cls", hf_squeezebert_cls,
         _t("classification", "text", 160, 2, "transformer", "layernorm", "gelu", "cross_entropy")),
    Case("hf_mobilevit_cls", hf_mobilevit_cls,
         _t("classification", "image", 96, 8, None, None, "silu", "cross_entropy")),
    Case("hf_levit_cls", hf_levit_cls,
         _t("classification", "image", 100, 5, "vit", "batchnorm", None, "cross_entropy")),
]
