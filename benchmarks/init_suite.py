"""Held-out cases for profile inference (`advisor init --target`): (model, data, loss_fn) + the truth.

Written without reading `advisor/integrations/profile_inference.py`: each case is a small model
written the way people write them (hand-written blocks, functional activations, Lightning, Hugging
Face models built from config objects), its training data (a Dataset, a TensorDataset, a Subset or a
DataLoader) and its loss, with the fields a careful user would put in the profile. A truth value of
None is not scored (genuinely ambiguous, or not applicable, e.g. num_classes on regression).
`model.num_params` is COUNT: the exact count of the model's (unique) parameters, sum(p.numel()).

    from init_suite import CASES   # benchmarks/init_accuracy.py scores them
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset


class _Count:
    """Truth marker: the model's exact parameter count, sum(p.numel()) over model.parameters()."""

    def __repr__(self) -> str:
        return "COUNT"


COUNT: Any = _Count()

FIELDS = (
    "task", "data.modality", "data.num_samples", "data.num_classes", "data.sparse_features",
    "model.family", "model.num_params", "model.normalization", "model.activation", "loss.name",
)


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[], tuple[Any, Any, Any]]
    truth: dict[str, Any]


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _truth(task: str, modality: str, n: int, classes: int | None, sparse: bool | None, family: str | None,
           norm: str | None, act: str | None, loss: str | None) -> dict[str, Any]:
    return {
        "task": task, "data.modality": modality, "data.num_samples": n, "data.num_classes": classes,
        "data.sparse_features": sparse, "model.family": family, "model.num_params": COUNT,
        "model.normalization": norm, "model.activation": act, "loss.name": loss,
    }


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# --------------------------------------------------------------------------------------------- tabular


def tabular_mlp() -> tuple:
    """Plain nn.Sequential MLP, integer labels, 5 classes."""
    g = _gen(1)
    x = torch.randn(600, 20, generator=g)
    y = torch.randint(0, 5, (600,), generator=g)
    model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 5))
    assert count_params(model) == (20 * 64 + 64) + (64 * 64 + 64) + (64 * 5 + 5)
    return model, TensorDataset(x, y), nn.CrossEntropyLoss()


class _TabularNet(nn.Module):
    def __init__(self, d_in: int, hidden: int, classes: int):
        super().__init__()
        self.fc1 = nn.Linear(d_in, hidden)
        self.bn1 = nn.BatchNorm1d(hidden)
        self.fc2 = nn.Linear(hidden, hidden // 2)
        self.bn2 = nn.BatchNorm1d(hidden // 2)
        self.drop = nn.Dropout(0.3)
        self.act = nn.LeakyReLU(0.1)
        self.out = nn.Linear(hidden // 2, classes)

    def forward(self, x):
        x = self.drop(self.act(self.bn1(self.fc1(x))))
        x = self.drop(self.act(self.bn2(self.fc2(x))))
        return self.out(x)


class _DictDataset(Dataset):
    def __init__(self, x: torch.Tensor, y: torch.Tensor):
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"features": self.x[i], "target": self.y[i]}


def tabular_bn_leaky_dict() -> tuple:
    """Module MLP with BatchNorm1d + LeakyReLU + Dropout; a custom Dataset yielding dicts, via DataLoader."""
    g = _gen(2)
    x = torch.randn(800, 32, generator=g)
    y = torch.randint(0, 3, (800,), generator=g)
    loader = DataLoader(_DictDataset(x, y), batch_size=64, shuffle=True)
    return _TabularNet(32, 128, 3), loader, nn.CrossEntropyLoss()


def tabular_binary_bce_imbalanced() -> tuple:
    """Binary classification, one logit, BCEWithLogitsLoss, float 0/1 labels, 9:1 imbalance."""
    g = _gen(3)
    x = torch.randn(1000, 12, generator=g)
    y = torch.zeros(1000, 1)
    y[:100] = 1.0
    y = y[torch.randperm(1000, generator=g)]
    model = nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 1))
    return model, TensorDataset(x, y), nn.BCEWithLogitsLoss(pos_weight=torch.tensor([9.0]))


class _FocalLoss(nn.Module):
    """The usual hand-written multi-class focal loss (Lin et al. 2017)."""

    def __init__(self, gamma: float = 2.0):
        super().__init__()
        self.gamma = gamma

    def forward(self, logits, target):
        logp = F.log_softmax(logits, dim=-1).gather(1, target[:, None]).squeeze(1)
        return (-(1 - logp.exp()) ** self.gamma * logp).mean()


def tabular_focal() -> tuple:
    """Imbalanced 4-class tabular data with a hand-written FocalLoss module; ELU MLP."""
    g = _gen(4)
    x = torch.randn(500, 16, generator=g)
    y = torch.cat([torch.zeros(350), torch.ones(80), torch.full((50,), 2), torch.full((20,), 3)]).long()
    model = nn.Sequential(nn.Linear(16, 48), nn.ELU(), nn.Linear(48, 48), nn.ELU(), nn.Linear(48, 4))
    return model, TensorDataset(x, y), _FocalLoss(gamma=2.0)


def tabular_hinge() -> tuple:
    """Multi-class hinge loss (nn.MultiMarginLoss), Tanh MLP; a Subset from random_split."""
    g = _gen(5)
    x = torch.randn(500, 10, generator=g)
    y = torch.randint(0, 6, (500,), generator=g)
    train, _ = torch.utils.data.random_split(TensorDataset(x, y), [400, 100], generator=g)
    model = nn.Sequential(nn.Linear(10, 40), nn.Tanh(), nn.Linear(40, 6))
    return model, train, nn.MultiMarginLoss()


def tabular_regression_mse() -> tuple:
    """Regression, 1 float target, MSELoss; SiLU MLP with LayerNorm."""
    g = _gen(6)
    x = torch.randn(700, 8, generator=g)
    y = (x[:, :1] * 2 + x[:, 1:2] ** 2 + 0.1 * torch.randn(700, 1, generator=g))
    model = nn.Sequential(
        nn.Linear(8, 64), nn.LayerNorm(64), nn.SiLU(), nn.Linear(64, 64), nn.LayerNorm(64), nn.SiLU(),
        nn.Linear(64, 1),
    )
    return model, TensorDataset(x, y), nn.MSELoss()


def tabular_regression_l1_multi() -> tuple:
    """Regression with 3 float targets and L1Loss (not among the profile's losses: unscored)."""
    g = _gen(7)
    x = torch.randn(300, 6, generator=g)
    y = x @ torch.randn(6, 3, generator=g)
    model = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 3))
    return model, DataLoader(TensorDataset(x, y), batch_size=32), nn.L1Loss()


class _ResBlock1d(nn.Module):
    def __init__(self, d: int, hidden: int):
        super().__init__()
        self.norm = nn.BatchNorm1d(d)
        self.lin1 = nn.Linear(d, hidden)
        self.lin2 = nn.Linear(hidden, d)
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        h = self.lin2(self.drop(F.relu(self.lin1(self.norm(x)))))
        return torch.add(x, h)


class _TabularResNet(nn.Module):
    """Gorishniy et al. 2021 "ResNet for tabular data": residual linear blocks joined with torch.add."""

    def __init__(self, d_in: int, d: int, blocks: int, classes: int):
        super().__init__()
        self.first = nn.Linear(d_in, d)
        self.blocks = nn.ModuleList([_ResBlock1d(d, 2 * d) for _ in range(blocks)])
        self.head = nn.Sequential(nn.BatchNorm1d(d), nn.ReLU(), nn.Linear(d, classes))

    def forward(self, x):
        x = self.first(x)
        for block in self.blocks:
            x = block(x)
        return self.head(x)


def tabular_resnet_torch_add() -> tuple:
    g = _gen(8)
    x = torch.randn(900, 24, generator=g)
    y = torch.randint(0, 7, (900,), generator=g)
    return _TabularResNet(24, 48, 3, 7), TensorDataset(x, y), nn.CrossEntropyLoss()


class _BowMLP(nn.Module):
    def __init__(self, vocab: int, classes: int):
        super().__init__()
        self.hidden = nn.Linear(vocab, 64)
        self.out = nn.Linear(64, classes)

    def forward(self, x):
        return self.out(F.relu(self.hidden(x)))


def bow_mlp_sparse() -> tuple:
    """Bag-of-words document classifier: 2000-word counts, ~1% non-zero, float inputs."""
    g = _gen(9)
    n, vocab = 400, 2000
    x = torch.zeros(n, vocab)
    idx = torch.randint(0, vocab, (n, 20), generator=g)
    x.scatter_add_(1, idx, torch.ones(n, 20))
    y = torch.randint(0, 4, (n,), generator=g)
    return _BowMLP(vocab, 4), TensorDataset(x, y), nn.CrossEntropyLoss()


class _EmbBagClassifier(nn.Module):
    """The PyTorch text-classification tutorial's model: EmbeddingBag(mean) + Linear."""

    def __init__(self, vocab: int, dim: int, classes: int):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab, dim, mode="mean")
        self.fc = nn.Linear(dim, classes)

    def forward(self, text):
        return self.fc(self.embedding(text))


def embeddingbag_text() -> tuple:
    g = _gen(10)
    x = torch.randint(0, 5000, (500, 40), generator=g)
    y = torch.randint(0, 4, (500,), generator=g)
    return _EmbBagClassifier(5000, 32, 4), TensorDataset(x, y), nn.CrossEntropyLoss()


def lightning_mlp() -> tuple:
    """A LightningModule wrapping an MLP (the model handed over is the LightningModule itself)."""
    import lightning as L

    class LitClassifier(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(30, 100), nn.GELU(), nn.Linear(100, 100), nn.GELU(),
                                     nn.Linear(100, 10))
            self.loss = nn.CrossEntropyLoss()

        def forward(self, x):
            return self.net(x)

        def training_step(self, batch, batch_idx):
            x, y = batch
            return self.loss(self(x), y)

        def configure_optimizers(self):
            return torch.optim.AdamW(self.parameters(), lr=1e-3)

    g = _gen(11)
    x = torch.randn(1200, 30, generator=g)
    y = torch.randint(0, 10, (1200,), generator=g)
    model = LitClassifier()
    return model, DataLoader(TensorDataset(x, y), batch_size=100), model.loss


# ----------------------------------------------------------------------------------------------- image


def _images(seed: int, n: int, c: int, hw: int, classes: int) -> TensorDataset:
    g = _gen(seed)
    return TensorDataset(torch.randn(n, c, hw, hw, generator=g), torch.randint(0, classes, (n,), generator=g))


class _BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class _SmallResNet(nn.Module):
    def __init__(self, classes: int = 10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.layer1 = nn.Sequential(_BasicBlock(16, 16), _BasicBlock(16, 16))
        self.layer2 = nn.Sequential(_BasicBlock(16, 32, 2), _BasicBlock(32, 32))
        self.layer3 = nn.Sequential(_BasicBlock(32, 64, 2), _BasicBlock(64, 64))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return self.fc(torch.flatten(self.pool(x), 1))


def resnet_cifar_plus_eq() -> tuple:
    """CIFAR-style ResNet-14ish: BasicBlocks with `out += identity`."""
    return _SmallResNet(10), _images(12, 256, 3, 32, 10), nn.CrossEntropyLoss()


class _PreActBlock(nn.Module):
    """He et al. 2016 "Identity mappings": BN-ReLU-conv twice, shortcut joined with torch.add."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.shortcut = (nn.Conv2d(cin, cout, 1, stride, bias=False)
                         if stride != 1 or cin != cout else nn.Identity())

    def forward(self, x):
        out = F.relu(self.bn1(x))
        shortcut = self.shortcut(out) if not isinstance(self.shortcut, nn.Identity) else x
        out = self.conv1(out)
        out = self.conv2(F.relu(self.bn2(out)))
        return torch.add(out, shortcut)


class _PreActResNet(nn.Module):
    def __init__(self, widths: tuple[int, ...] = (16, 32, 64), classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
        blocks, cin = [], widths[0]
        for i, w in enumerate(widths):
            blocks += [_PreActBlock(cin, w, 1 if i == 0 else 2), _PreActBlock(w, w, 1)]
            cin = w
        self.blocks = nn.Sequential(*blocks)
        self.bn = nn.BatchNorm2d(cin)
        self.linear = nn.Linear(cin, classes)

    def forward(self, x):
        out = F.relu(self.bn(self.blocks(self.conv1(x))))
        return self.linear(F.adaptive_avg_pool2d(out, 1).flatten(1))


def preact_resnet_torch_add() -> tuple:
    """Pre-activation ResNet on 32x32 images; functional F.relu, `torch.add(out, shortcut)`."""
    return _PreActResNet(), DataLoader(_images(49, 256, 3, 32, 10), batch_size=32), nn.CrossEntropyLoss()


def vgg_like() -> tuple:
    """VGG-style stacks of 3x3 convs + max-pooling, no normalization, classifier with dropout."""
    def stage(cin: int, cout: int) -> list[nn.Module]:
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True),
                nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2)]

    model = nn.Sequential(
        *stage(3, 16), *stage(16, 32), *stage(32, 64), nn.Flatten(),
        nn.Linear(64 * 4 * 4, 128), nn.ReLU(inplace=True), nn.Dropout(0.5),
        nn.Linear(128, 128), nn.ReLU(inplace=True), nn.Dropout(0.5), nn.Linear(128, 10),
    )
    return model, _images(13, 300, 3, 32, 10), nn.CrossEntropyLoss()


class _FunctionalCNN(nn.Module):
    """The PyTorch-tutorial style: layers as attributes, F.relu / F.max_pool2d in forward."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 5)
        self.conv2 = nn.Conv2d(8, 16, 5)
        self.fc1 = nn.Linear(16 * 4 * 4, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))


def functional_relu_cnn() -> tuple:
    """MNIST-shaped (1x28x28) images, DataLoader."""
    return (_FunctionalCNN(), DataLoader(_images(14, 500, 1, 28, 10), batch_size=50, shuffle=True),
            nn.CrossEntropyLoss())


def lenet_tanh() -> tuple:
    """Classic LeNet-5 with Tanh and average pooling on 32x32 grey images."""
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10),
    )
    return model, _images(15, 320, 1, 32, 10), nn.CrossEntropyLoss()


def groupnorm_cnn() -> tuple:
    """Plain conv stack with GroupNorm (small-batch detection/segmentation habit), 100 classes."""
    def conv(cin: int, cout: int, stride: int) -> nn.Sequential:
        return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.GroupNorm(8, cout), nn.ReLU())

    model = nn.Sequential(conv(3, 32, 1), conv(32, 64, 2), conv(64, 64, 1), conv(64, 128, 2),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 100))
    return model, _images(16, 400, 3, 32, 100), nn.CrossEntropyLoss()


class _InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int):
        super().__init__()
        hidden = cin * expand
        self.use_res = stride == 1 and cin == cout
        self.conv = nn.Sequential(
            nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout),
        )

    def forward(self, x):
        return x + self.conv(x) if self.use_res else self.conv(x)


class _MobileNetV2Small(nn.Module):
    def __init__(self, classes: int):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU6(inplace=True),
            _InvertedResidual(16, 16, 1, 1), _InvertedResidual(16, 24, 2, 6), _InvertedResidual(24, 24, 1, 6),
            _InvertedResidual(24, 32, 2, 6), _InvertedResidual(32, 32, 1, 6),
            nn.Conv2d(32, 256, 1, bias=False), nn.BatchNorm2d(256), nn.ReLU6(inplace=True),
        )
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(256, classes))

    def forward(self, x):
        x = self.features(x)
        return self.classifier(F.adaptive_avg_pool2d(x, 1).flatten(1))


def mobilenetv2_like() -> tuple:
    return _MobileNetV2Small(20), _images(17, 200, 3, 64, 20), nn.CrossEntropyLoss()


class _SqueezeExcite(nn.Module):
    def __init__(self, c: int, reduced: int):
        super().__init__()
        self.fc1 = nn.Conv2d(c, reduced, 1)
        self.fc2 = nn.Conv2d(reduced, c, 1)

    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)
        return x * torch.sigmoid(self.fc2(F.silu(self.fc1(s))))


class _MBConv(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int):
        super().__init__()
        hidden = cin * expand
        self.skip = stride == 1 and cin == cout
        layers: list[nn.Module] = []
        if expand != 1:
            layers += [nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.SiLU()]
        layers += [nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden),
                   nn.SiLU(), _SqueezeExcite(hidden, max(1, cin // 4)),
                   nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.block = nn.Sequential(*layers)

    def forward(self, x):
        out = self.block(x)
        return out + x if self.skip else out


def efficientnet_like() -> tuple:
    """EfficientNet-B0-style: MBConv (depthwise + squeeze-excite), SiLU, BatchNorm."""
    model = nn.Sequential(
        nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.SiLU(),
        _MBConv(16, 16, 1, 1), _MBConv(16, 24, 2, 6), _MBConv(24, 24, 1, 6), _MBConv(24, 40, 2, 6),
        nn.Conv2d(40, 160, 1, bias=False), nn.BatchNorm2d(160), nn.SiLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(160, 5),
    )
    return model, _images(18, 150, 3, 64, 5), nn.CrossEntropyLoss()


class _UNetSmall(nn.Module):
    def __init__(self, cin: int, classes: int):
        super().__init__()

        def double(a: int, b: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(a, b, 3, padding=1), nn.BatchNorm2d(b), nn.ReLU(inplace=True),
                                 nn.Conv2d(b, b, 3, padding=1), nn.BatchNorm2d(b), nn.ReLU(inplace=True))

        self.enc1, self.enc2, self.mid = double(cin, 16), double(16, 32), double(32, 64)
        self.up2 = nn.ConvTranspose2d(64, 32, 2, stride=2)
        self.dec2 = double(64, 32)
        self.up1 = nn.ConvTranspose2d(32, 16, 2, stride=2)
        self.dec1 = double(32, 16)
        self.out = nn.Conv2d(16, classes, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        m = self.mid(F.max_pool2d(e2, 2))
        d2 = self.dec2(torch.cat([self.up2(m), e2], 1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], 1))
        return self.out(d1)


def unet_segmentation() -> tuple:
    """Per-pixel 4-class segmentation: masks (N,H,W) of class ids, CrossEntropyLoss on (N,C,H,W)."""
    g = _gen(19)
    x = torch.randn(64, 3, 32, 32, generator=g)
    masks = torch.randint(0, 4, (64, 32, 32), generator=g)
    return _UNetSmall(3, 4), TensorDataset(x, masks), nn.CrossEntropyLoss()


class _EmbeddingNet(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
            nn.Flatten(), nn.Linear(32, dim),
        )

    def forward(self, x):
        return F.normalize(self.body(x), dim=-1)


class _TripletDataset(Dataset):
    """For each image: (anchor, a same-identity positive, a different-identity negative)."""

    def __init__(self, images: torch.Tensor, ids: torch.Tensor):
        self.images, self.ids = images, ids

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int):
        same = (self.ids == self.ids[i]).nonzero().flatten()
        other = (self.ids != self.ids[i]).nonzero().flatten()
        return self.images[i], self.images[same[(i + 1) % len(same)]], self.images[other[i % len(other)]]


def triplet_metric_learning() -> tuple:
    g = _gen(20)
    images = torch.randn(240, 1, 28, 28, generator=g)
    ids = torch.arange(240) % 12
    return _EmbeddingNet(32), _TripletDataset(images, ids), nn.TripletMarginLoss(margin=0.2)


class _DCGAN(nn.Module):
    def __init__(self, z: int = 32):
        super().__init__()
        self.z = z
        self.generator = nn.Sequential(
            nn.ConvTranspose2d(z, 64, 4, 1, 0, bias=False), nn.BatchNorm2d(64), nn.ReLU(True),
            nn.ConvTranspose2d(64, 32, 4, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(True),
            nn.ConvTranspose2d(32, 1, 4, 2, 1, bias=False), nn.Tanh(),
        )
        self.discriminator = nn.Sequential(
            nn.Conv2d(1, 32, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
            nn.Conv2d(32, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.LeakyReLU(0.2, True),
            nn.Conv2d(64, 1, 4, 1, 0, bias=False), nn.Flatten(),
        )

    def forward(self, noise):
        return self.discriminator(self.generator(noise))


def dcgan() -> tuple:
    """DCGAN on 16x16 grey images (no labels); BCEWithLogits for both players."""
    g = _gen(21)
    real = torch.rand(512, 1, 16, 16, generator=g) * 2 - 1
    return _DCGAN(), TensorDataset(real), nn.BCEWithLogitsLoss()


def cnn_image_regression() -> tuple:
    """Age-estimation style: a conv net regressing one float per image with MSE."""
    model = nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(), nn.Linear(64, 1),
    )
    g = _gen(43)
    x = torch.randn(240, 3, 48, 48, generator=g)
    y = torch.rand(240, 1, generator=g) * 80
    return model, DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True), nn.MSELoss()


def multilabel_bce() -> tuple:
    """Multi-label tagging: 5 independent labels per image (multi-hot floats), BCEWithLogitsLoss."""
    model = nn.Sequential(
        nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, stride=2, padding=1),
        nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 5),
    )
    g = _gen(44)
    x = torch.randn(300, 3, 32, 32, generator=g)
    y = (torch.rand(300, 5, generator=g) < 0.3).float()
    return model, TensorDataset(x, y), nn.BCEWithLogitsLoss()


class _PatchEmbed(nn.Module):
    def __init__(self, cin: int, dim: int, patch: int):
        super().__init__()
        self.proj = nn.Conv2d(cin, dim, kernel_size=patch, stride=patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class _ViTBlock(nn.Module):
    def __init__(self, dim: int, heads: int, mlp: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp), nn.GELU(), nn.Linear(mlp, dim))

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class _TinyViT(nn.Module):
    def __init__(self, image: int = 32, patch: int = 4, dim: int = 64, depth: int = 4, classes: int = 10):
        super().__init__()
        self.patch_embed = _PatchEmbed(3, dim, patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, (image // patch) ** 2 + 1, dim) * 0.02)
        self.blocks = nn.Sequential(*[_ViTBlock(dim, 4, 4 * dim) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.patch_embed(x)
        x = torch.cat([self.cls_token.expand(len(x), -1, -1), x], 1) + self.pos_embed
        return self.head(self.norm(self.blocks(x))[:, 0])


def vit_handwritten() -> tuple:
    return _TinyViT(), _images(22, 256, 3, 32, 10), nn.CrossEntropyLoss(label_smoothing=0.1)


# -------------------------------------------------------------------------------- sequences and text


class _GRUClassifier(nn.Module):
    def __init__(self, features: int, hidden: int, classes: int):
        super().__init__()
        self.gru = nn.GRU(features, hidden, num_layers=2, batch_first=True, dropout=0.1)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, x):
        _, h = self.gru(x)
        return self.fc(h[-1])


def gru_sensor_classifier() -> tuple:
    """Human-activity-style sensor windows: float (N, T=50, F=9), 6 classes."""
    g = _gen(23)
    x = torch.randn(300, 50, 9, generator=g)
    y = torch.randint(0, 6, (300,), generator=g)
    return _GRUClassifier(9, 32, 6), TensorDataset(x, y), nn.CrossEntropyLoss()


class _LSTMText(nn.Module):
    def __init__(self, vocab: int, emb: int, hidden: int, classes: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb, padding_idx=0)
        self.lstm = nn.LSTM(emb, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, classes)

    def forward(self, tokens):
        out, _ = self.lstm(self.embedding(tokens))
        return self.fc(out.mean(1))


def lstm_text_classifier() -> tuple:
    """Sentiment-style: token ids (N, 64) with padding, BiLSTM, 2 classes with CrossEntropy."""
    g = _gen(24)
    x = torch.randint(1, 3000, (400, 64), generator=g)
    x[:, 48:] = 0
    y = torch.randint(0, 2, (400,), generator=g)
    return _LSTMText(3000, 32, 32, 2), DataLoader(TensorDataset(x, y), batch_size=32), nn.CrossEntropyLoss()


class _LSTMForecaster(nn.Module):
    def __init__(self, features: int, hidden: int):
        super().__init__()
        self.lstm = nn.LSTM(features, hidden, num_layers=2, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


def lstm_timeseries_regression() -> tuple:
    """Forecast the next value from 24 steps of 3 float channels; MSE."""
    g = _gen(25)
    x = torch.randn(500, 24, 3, generator=g).cumsum(1)
    y = x[:, -1, :1] + 0.1 * torch.randn(500, 1, generator=g)
    return _LSTMForecaster(3, 32), TensorDataset(x, y), nn.MSELoss()


class _CharLSTM(nn.Module):
    def __init__(self, vocab: int, emb: int, hidden: int):
        super().__init__()
        self.embed = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hidden, num_layers=2, batch_first=True)
        self.decoder = nn.Linear(hidden, vocab)

    def forward(self, x):
        out, _ = self.lstm(self.embed(x))
        return self.decoder(out)


class _CharChunks(Dataset):
    """Karpathy char-rnn style: chunks of a character stream; target = input shifted by one."""

    def __init__(self, stream: torch.Tensor, length: int):
        self.stream, self.length = stream, length

    def __len__(self) -> int:
        return (len(self.stream) - 1) // self.length

    def __getitem__(self, i: int):
        s = i * self.length
        return self.stream[s:s + self.length], self.stream[s + 1:s + self.length + 1]


def char_lstm_lm() -> tuple:
    g = _gen(26)
    stream = torch.randint(0, 65, (100 * 64 + 1,), generator=g)
    return _CharLSTM(65, 32, 128), _CharChunks(stream, 64), nn.CrossEntropyLoss()


class _RNNClassifier(nn.Module):
    def __init__(self, features: int, hidden: int, classes: int):
        super().__init__()
        self.rnn = nn.RNN(features, hidden, batch_first=True)
        self.out = nn.Linear(hidden, classes)

    def forward(self, x):
        _, h = self.rnn(x)
        return self.out(h[0])


def vanilla_rnn() -> tuple:
    """Elman RNN (tanh) over float sequences (N, 30, 4), 3 classes."""
    g = _gen(27)
    x = torch.randn(250, 30, 4, generator=g)
    y = torch.randint(0, 3, (250,), generator=g)
    return _RNNClassifier(4, 24, 3), TensorDataset(x, y), nn.CrossEntropyLoss()


class _TransformerClassifier(nn.Module):
    def __init__(self, vocab: int, d: int, heads: int, layers: int, classes: int, max_len: int):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.zeros(1, max_len, d))
        layer = nn.TransformerEncoderLayer(d, heads, dim_feedforward=4 * d, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.fc = nn.Linear(d, classes)

    def forward(self, tokens):
        h = self.encoder(self.embed(tokens) + self.pos[:, :tokens.shape[1]])
        return self.fc(h.mean(1))


def transformer_encoder_classifier() -> tuple:
    """nn.TransformerEncoderLayer with its defaults (ReLU feed-forward, post-LayerNorm)."""
    g = _gen(28)
    x = torch.randint(0, 2000, (300, 32), generator=g)
    y = torch.randint(0, 5, (300,), generator=g)
    return _TransformerClassifier(2000, 64, 4, 2, 5, 32), TensorDataset(x, y), nn.CrossEntropyLoss()


class _CausalSelfAttention(nn.Module):
    def __init__(self, d: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=2)
        q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).reshape(b, t, d))


class _GPTBlock(nn.Module):
    def __init__(self, d: int, heads: int):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d)
        self.attn = _CausalSelfAttention(d, heads)
        self.ln_2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(approximate="tanh"), nn.Linear(4 * d, d))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class _NanoGPT(nn.Module):
    def __init__(self, vocab: int = 512, block: int = 64, d: int = 64, layers: int = 2, heads: int = 4):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(block, d)
        self.h = nn.ModuleList([_GPTBlock(d, heads) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


class _TokenBlocks(Dataset):
    def __init__(self, tokens: torch.Tensor, block: int):
        self.tokens, self.block = tokens, block

    def __len__(self) -> int:
        return (len(self.tokens) - 1) // self.block

    def __getitem__(self, i: int):
        s = i * self.block
        chunk = self.tokens[s:s + self.block + 1]
        return chunk[:-1], chunk[1:]


def nanogpt_causal_lm() -> tuple:
    """nanoGPT-style decoder with tied embeddings; (x, y) = next-token blocks; per-token CE."""
    g = _gen(29)
    tokens = torch.randint(0, 512, (200 * 64 + 1,), generator=g)
    return _NanoGPT(), _TokenBlocks(tokens, 64), nn.CrossEntropyLoss()


class _TextCNN(nn.Module):
    """Kim (2014): embeddings, parallel Conv1d of widths 3/4/5, max over time."""

    def __init__(self, vocab: int, emb: int, filters: int, classes: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.convs = nn.ModuleList([nn.Conv1d(emb, filters, k) for k in (3, 4, 5)])
        self.dropout = nn.Dropout(0.5)
        self.fc = nn.Linear(3 * filters, classes)

    def forward(self, tokens):
        x = self.embedding(tokens).transpose(1, 2)
        pooled = [F.relu(conv(x)).amax(dim=2) for conv in self.convs]
        return self.fc(self.dropout(torch.cat(pooled, 1)))


def textcnn() -> tuple:
    g = _gen(45)
    x = torch.randint(0, 5000, (350, 60), generator=g)
    y = torch.randint(0, 3, (350,), generator=g)
    return _TextCNN(5000, 48, 32, 3), TensorDataset(x, y), nn.CrossEntropyLoss()


class _TimeSeriesTransformer(nn.Module):
    def __init__(self, features: int, d: int, classes: int):
        super().__init__()
        self.inp = nn.Linear(features, d)
        layer = nn.TransformerEncoderLayer(d, 4, 2 * d, dropout=0.1, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, 3, enable_nested_tensor=False)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        return self.head(self.encoder(self.inp(x)).mean(1))


def timeseries_transformer_gelu() -> tuple:
    """Pre-LN encoder (GELU) over float sensor sequences (N, 40, 6), 4 classes."""
    g = _gen(46)
    x = torch.randn(320, 40, 6, generator=g)
    y = torch.randint(0, 4, (320,), generator=g)
    return _TimeSeriesTransformer(6, 32, 4), TensorDataset(x, y), nn.CrossEntropyLoss()


class _SwiGLU(nn.Module):
    def __init__(self, d: int, hidden: int):
        super().__init__()
        self.w1 = nn.Linear(d, hidden, bias=False)
        self.w2 = nn.Linear(hidden, d, bias=False)
        self.w3 = nn.Linear(d, hidden, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class _LlamaBlock(nn.Module):
    def __init__(self, d: int, heads: int):
        super().__init__()
        self.attention_norm = nn.RMSNorm(d, eps=1e-5)
        self.wqkv = nn.Linear(d, 3 * d, bias=False)
        self.wo = nn.Linear(d, d, bias=False)
        self.ffn_norm = nn.RMSNorm(d, eps=1e-5)
        self.feed_forward = _SwiGLU(d, 172)
        self.heads = heads

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.wqkv(self.attention_norm(x)).chunk(3, dim=-1)
        q, k, v = (z.reshape(b, t, self.heads, -1).transpose(1, 2) for z in (q, k, v))
        attn = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, d)
        x = x + self.wo(attn)
        return x + self.feed_forward(self.ffn_norm(x))


class _TinyLlama(nn.Module):
    def __init__(self, vocab: int = 800, d: int = 64, layers: int = 2, heads: int = 4):
        super().__init__()
        self.tok_embeddings = nn.Embedding(vocab, d)
        self.layers = nn.ModuleList([_LlamaBlock(d, heads) for _ in range(layers)])
        self.norm = nn.RMSNorm(d, eps=1e-5)
        self.output = nn.Linear(d, vocab, bias=False)

    def forward(self, tokens):
        h = self.tok_embeddings(tokens)
        for layer in self.layers:
            h = layer(h)
        return self.output(self.norm(h))


def llama_handwritten() -> tuple:
    """Hand-written Llama-style decoder: nn.RMSNorm, SwiGLU feed-forward, no biases."""
    tokens = torch.randint(0, 800, (150 * 32 + 1,), generator=_gen(47))
    return _TinyLlama(), _TokenBlocks(tokens, 32), nn.CrossEntropyLoss()


class _Seq2SeqTransformer(nn.Module):
    """Translation with nn.Transformer (defaults: ReLU, post-LayerNorm); forward(src, tgt)."""

    def __init__(self, src_vocab: int, tgt_vocab: int, d: int):
        super().__init__()
        self.src_emb = nn.Embedding(src_vocab, d)
        self.tgt_emb = nn.Embedding(tgt_vocab, d)
        self.transformer = nn.Transformer(d, 4, 2, 2, 2 * d, dropout=0.1, batch_first=True)
        self.generator = nn.Linear(d, tgt_vocab)

    def forward(self, src, tgt):
        mask = self.transformer.generate_square_subsequent_mask(tgt.shape[1])
        return self.generator(self.transformer(self.src_emb(src), self.tgt_emb(tgt), tgt_mask=mask))


def nn_transformer_translation() -> tuple:
    g = _gen(48)
    src = torch.randint(0, 1200, (260, 20), generator=g)
    tgt = torch.randint(0, 1000, (260, 22), generator=g)
    return _Seq2SeqTransformer(1200, 1000, 64), TensorDataset(src, tgt), nn.CrossEntropyLoss(ignore_index=0)


class _AudioCNN(nn.Module):
    """M5-style keyword spotting on raw 8 kHz waveforms (N, 1, 8000)."""

    def __init__(self, classes: int):
        super().__init__()
        self.conv1 = nn.Conv1d(1, 16, 80, stride=16)
        self.bn1 = nn.BatchNorm1d(16)
        self.conv2 = nn.Conv1d(16, 32, 3)
        self.bn2 = nn.BatchNorm1d(32)
        self.conv3 = nn.Conv1d(32, 64, 3)
        self.bn3 = nn.BatchNorm1d(64)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = F.max_pool1d(F.relu(self.bn1(self.conv1(x))), 4)
        x = F.max_pool1d(F.relu(self.bn2(self.conv2(x))), 4)
        x = F.relu(self.bn3(self.conv3(x)))
        return self.fc(x.mean(-1))


def audio_waveform_cnn() -> tuple:
    return _AudioCNN(12), _images_1d(30, 200, 8000, 12), nn.CrossEntropyLoss()


def _images_1d(seed: int, n: int, length: int, classes: int) -> TensorDataset:
    g = _gen(seed)
    return TensorDataset(torch.randn(n, 1, length, generator=g), torch.randint(0, classes, (n,), generator=g))


# ------------------------------------------------------------------------------ Hugging Face (configs)


class _HFDicts(Dataset):
    """A tokenized dataset the way `datasets` + `set_format("torch")` yields it: dicts of tensors."""

    def __init__(self, columns: dict[str, torch.Tensor]):
        self.columns = columns

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {k: v[i] for k, v in self.columns.items()}


def _text_cls(seed: int, n: int, length: int, vocab: int, classes: int) -> _HFDicts:
    g = _gen(seed)
    ids = torch.randint(5, vocab, (n, length), generator=g)
    return _HFDicts({"input_ids": ids, "attention_mask": torch.ones(n, length, dtype=torch.long),
                     "labels": torch.randint(0, classes, (n,), generator=g)})


def _lm(seed: int, n: int, length: int, vocab: int) -> _HFDicts:
    ids = torch.randint(0, vocab, (n, length), generator=_gen(seed))
    return _HFDicts({"input_ids": ids, "attention_mask": torch.ones(n, length, dtype=torch.long),
                     "labels": ids.clone()})


def hf_bert_cls() -> tuple:
    from transformers import BertConfig, BertForSequenceClassification

    config = BertConfig(vocab_size=1000, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=128, max_position_embeddings=128, num_labels=3)
    return BertForSequenceClassification(config), _text_cls(31, 200, 32, 1000, 3), None


def hf_distilbert_cls() -> tuple:
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    config = DistilBertConfig(vocab_size=1000, dim=64, n_layers=2, n_heads=4, hidden_dim=128,
                              max_position_embeddings=128, num_labels=2)
    data = _text_cls(32, 300, 48, 1000, 2)
    return DistilBertForSequenceClassification(config), DataLoader(data, batch_size=16), None


def hf_roberta_cls() -> tuple:
    from transformers import RobertaConfig, RobertaForSequenceClassification

    config = RobertaConfig(vocab_size=1000, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                           intermediate_size=128, max_position_embeddings=130, num_labels=6)
    return RobertaForSequenceClassification(config), _text_cls(33, 250, 40, 1000, 6), None


def hf_bert_mlm() -> tuple:
    """Masked LM: 15% of positions masked, labels -100 elsewhere."""
    from transformers import BertConfig, BertForMaskedLM

    config = BertConfig(vocab_size=1000, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=128, max_position_embeddings=128)
    g = _gen(34)
    ids = torch.randint(5, 1000, (300, 32), generator=g)
    mask = torch.rand(300, 32, generator=g) < 0.15
    labels = torch.where(mask, ids, torch.full_like(ids, -100))
    inputs = torch.where(mask, torch.full_like(ids, 4), ids)  # 4 = [MASK]
    data = _HFDicts({"input_ids": inputs, "attention_mask": torch.ones_like(ids), "labels": labels})
    return BertForMaskedLM(config), data, None


def hf_gpt2_lm() -> tuple:
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(vocab_size=1000, n_positions=128, n_embd=64, n_layer=2, n_head=4, bos_token_id=0,
                        eos_token_id=0)
    return GPT2LMHeadModel(config), _lm(35, 200, 64, 1000), None


def hf_llama_lm() -> tuple:
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=1000, hidden_size=64, intermediate_size=172, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128)
    return LlamaForCausalLM(config), DataLoader(_lm(36, 160, 64, 1000), batch_size=8), None


def _seq2seq(seed: int, n: int, src: int, tgt: int, vocab: int) -> _HFDicts:
    g = _gen(seed)
    return _HFDicts({"input_ids": torch.randint(3, vocab, (n, src), generator=g),
                     "attention_mask": torch.ones(n, src, dtype=torch.long),
                     "labels": torch.randint(3, vocab, (n, tgt), generator=g)})


def hf_bart_seq2seq() -> tuple:
    from transformers import BartConfig, BartForConditionalGeneration

    config = BartConfig(vocab_size=1000, d_model=64, encoder_layers=2, decoder_layers=2,
                        encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=128,
                        decoder_ffn_dim=128, max_position_embeddings=128)
    return BartForConditionalGeneration(config), _seq2seq(37, 180, 48, 16, 1000), None


def hf_t5_seq2seq() -> tuple:
    from transformers import T5Config, T5ForConditionalGeneration

    config = T5Config(vocab_size=1000, d_model=64, d_kv=16, d_ff=128, num_layers=2, num_decoder_layers=2,
                      num_heads=4, feed_forward_proj="relu", decoder_start_token_id=0)
    return T5ForConditionalGeneration(config), _seq2seq(38, 220, 40, 12, 1000), None


def _pixels(seed: int, n: int, c: int, hw: int, classes: int) -> _HFDicts:
    g = _gen(seed)
    return _HFDicts({"pixel_values": torch.randn(n, c, hw, hw, generator=g),
                     "labels": torch.randint(0, classes, (n,), generator=g)})


def hf_vit_cls() -> tuple:
    from transformers import ViTConfig, ViTForImageClassification

    config = ViTConfig(image_size=32, patch_size=4, num_channels=3, hidden_size=64, num_hidden_layers=2,
                       num_attention_heads=4, intermediate_size=128, num_labels=10)
    return ViTForImageClassification(config), _pixels(39, 200, 3, 32, 10), None


def hf_resnet_cls() -> tuple:
    from transformers import ResNetConfig, ResNetForImageClassification

    config = ResNetConfig(num_channels=3, embedding_size=16, hidden_sizes=[16, 32, 64], depths=[1, 1, 1],
                          layer_type="basic", num_labels=8)
    return ResNetForImageClassification(config), _pixels(40, 160, 3, 64, 8), None


def hf_convnext_cls() -> tuple:
    from transformers import ConvNextConfig, ConvNextForImageClassification

    config = ConvNextConfig(num_channels=3, hidden_sizes=[16, 32, 64, 128], depths=[1, 1, 1, 1],
                            num_labels=10, image_size=64)
    return ConvNextForImageClassification(config), _pixels(41, 120, 3, 64, 10), None


def hf_wav2vec2_ctc() -> tuple:
    """Speech recognition: raw 16 kHz waveforms (1 s), character labels, CTC (padding = -100)."""
    from transformers import Wav2Vec2Config, Wav2Vec2ForCTC

    config = Wav2Vec2Config(vocab_size=32, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                            intermediate_size=128, conv_dim=(32, 32, 32), conv_stride=(5, 4, 4),
                            conv_kernel=(10, 4, 4), num_conv_pos_embeddings=16,
                            num_conv_pos_embedding_groups=4,
                            feat_extract_norm="layer", do_stable_layer_norm=True, pad_token_id=0,
                            ctc_loss_reduction="mean")
    g = _gen(42)
    labels = torch.randint(1, 32, (60, 20), generator=g)
    labels[:, 15:] = -100
    data = _HFDicts({"input_values": torch.randn(60, 16000, generator=g), "labels": labels})
    return Wav2Vec2ForCTC(config), data, None


# ----------------------------------------------------------------------------------------------- cases


CASES: list[Case] = [
    # tabular
    Case("tabular_mlp", tabular_mlp,
         _truth("classification", "tabular", 600, 5, False, "mlp", "none", "relu", "cross_entropy")),
    Case("tabular_bn_leaky_dict", tabular_bn_leaky_dict,
         _truth("classification", "tabular", 800, 3, False, "mlp", "batchnorm", "leaky_relu",
                "cross_entropy")),
    Case("tabular_binary_bce_imbalanced", tabular_binary_bce_imbalanced,
         _truth("classification", "tabular", 1000, 2, False, "mlp", "none", "relu", "bce")),
    Case("tabular_focal", tabular_focal,
         _truth("classification", "tabular", 500, 4, False, "mlp", "none", "elu", "focal")),
    Case("tabular_hinge_subset", tabular_hinge,
         _truth("classification", "tabular", 400, 6, False, "mlp", "none", "tanh", "hinge")),
    Case("tabular_regression_mse", tabular_regression_mse,
         _truth("regression", "tabular", 700, None, False, "mlp", "layernorm", "silu", "mse")),
    Case("tabular_regression_l1_multi", tabular_regression_l1_multi,
         _truth("regression", "tabular", 300, None, False, "mlp", "none", "relu", None)),
    Case("tabular_resnet_torch_add", tabular_resnet_torch_add,
         _truth("classification", "tabular", 900, 7, False, "resnet", "batchnorm", "relu", "cross_entropy")),
    Case("lightning_mlp", lightning_mlp,
         _truth("classification", "tabular", 1200, 10, False, "mlp", "none", "gelu", "cross_entropy")),
    # sparse text features
    Case("bow_mlp_sparse", bow_mlp_sparse,
         _truth("classification", "text", 400, 4, True, "mlp", "none", "relu", "cross_entropy")),
    Case("embeddingbag_text", embeddingbag_text,
         # no hidden layer: activation not meaningful
         _truth("classification", "text", 500, 4, True, "mlp", "none", None, "cross_entropy")),
    # images
    Case("resnet_cifar_plus_eq", resnet_cifar_plus_eq,
         _truth("classification", "image", 256, 10, False, "resnet", "batchnorm", "relu", "cross_entropy")),
    Case("preact_resnet_torch_add", preact_resnet_torch_add,
         _truth("classification", "image", 256, 10, False, "resnet", "batchnorm", "relu", "cross_entropy")),
    Case("vgg_like", vgg_like,
         _truth("classification", "image", 300, 10, False, "cnn", "none", "relu", "cross_entropy")),
    Case("functional_relu_cnn", functional_relu_cnn,
         _truth("classification", "image", 500, 10, False, "cnn", "none", "relu", "cross_entropy")),
    Case("lenet_tanh", lenet_tanh,
         _truth("classification", "image", 320, 10, False, "cnn", "none", "tanh", "cross_entropy")),
    Case("groupnorm_cnn", groupnorm_cnn,
         _truth("classification", "image", 400, 100, False, "cnn", "groupnorm", "relu", "cross_entropy")),
    Case("mobilenetv2_like", mobilenetv2_like,
         _truth("classification", "image", 200, 20, False, "mobilenet", "batchnorm", "relu6",
                "cross_entropy")),
    Case("efficientnet_like", efficientnet_like,
         _truth("classification", "image", 150, 5, False, "mobilenet", "batchnorm", "silu", "cross_entropy")),
    Case("unet_segmentation", unet_segmentation,
         _truth("segmentation", "image", 64, None, False, "cnn", "batchnorm", "relu", "cross_entropy")),
    Case("triplet_metric_learning", triplet_metric_learning,
         _truth("metric_learning", "image", 240, None, False, "cnn", "batchnorm", "relu", "triplet")),
    Case("dcgan", dcgan,
         # generator ReLU, discriminator LeakyReLU: no single hidden activation
         _truth("generation", "image", 512, None, False, "gan", "batchnorm", None, "bce")),
    Case("cnn_image_regression", cnn_image_regression,
         _truth("regression", "image", 240, None, False, "cnn", "batchnorm", "relu", "mse")),
    Case("multilabel_bce", multilabel_bce,
         _truth("classification", "image", 300, 5, False, "cnn", "none", "relu", "bce")),
    Case("vit_handwritten", vit_handwritten,
         _truth("classification", "image", 256, 10, False, "vit", "layernorm", "gelu", "cross_entropy")),
    # sequences, text, audio (hand-written)
    Case("gru_sensor_classifier", gru_sensor_classifier,
         _truth("classification", "sequence", 300, 6, False, "gru", "none", None, "cross_entropy")),
    Case("lstm_text_classifier", lstm_text_classifier,
         _truth("classification", "text", 400, 2, None, "lstm", "none", None, "cross_entropy")),
    Case("lstm_timeseries_regression", lstm_timeseries_regression,
         _truth("regression", "sequence", 500, None, False, "lstm", "none", None, "mse")),
    Case("char_lstm_lm", char_lstm_lm,
         _truth("causal_lm", "text", 100, None, None, "lstm", "none", None, "cross_entropy")),
    Case("vanilla_rnn_tanh", vanilla_rnn,
         _truth("classification", "sequence", 250, 3, False, "rnn", "none", "tanh", "cross_entropy")),
    Case("transformer_encoder_classifier", transformer_encoder_classifier,
         _truth("classification", "text", 300, 5, None, "transformer", "layernorm", "relu", "cross_entropy")),
    Case("nanogpt_causal_lm", nanogpt_causal_lm,
         _truth("causal_lm", "text", 200, None, None, "transformer", "layernorm", "gelu", "cross_entropy")),
    Case("textcnn", textcnn,
         _truth("classification", "text", 350, 3, None, "cnn", "none", "relu", "cross_entropy")),
    Case("timeseries_transformer_gelu", timeseries_transformer_gelu,
         _truth("classification", "sequence", 320, 4, False, "transformer", "layernorm", "gelu",
                "cross_entropy")),
    Case("llama_handwritten", llama_handwritten,
         _truth("causal_lm", "text", 150, None, None, "transformer", "rmsnorm", "swiglu", "cross_entropy")),
    Case("nn_transformer_translation", nn_transformer_translation,
         _truth("seq2seq", "text", 260, None, None, "transformer", "layernorm", "relu", "cross_entropy")),
    Case("audio_waveform_cnn", audio_waveform_cnn,
         _truth("classification", "audio", 200, 12, False, "cnn", "batchnorm", "relu", "cross_entropy")),
    # Hugging Face, built from configs
    Case("hf_bert_cls", hf_bert_cls,
         _truth("classification", "text", 200, 3, None, "transformer", "layernorm", "gelu", "cross_entropy")),
    Case("hf_distilbert_cls", hf_distilbert_cls,
         _truth("classification", "text", 300, 2, None, "transformer", "layernorm", "gelu", "cross_entropy")),
    Case("hf_roberta_cls", hf_roberta_cls,
         _truth("classification", "text", 250, 6, None, "transformer", "layernorm", "gelu", "cross_entropy")),
    Case("hf_bert_mlm", hf_bert_mlm,
         _truth("masked_lm", "text", 300, None, None, "transformer", "layernorm", "gelu", "cross_entropy")),
    Case("hf_gpt2_lm", hf_gpt2_lm,
         _truth("causal_lm", "text", 200, None, None, "transformer", "layernorm", "gelu", "cross_entropy")),
    Case("hf_llama_lm", hf_llama_lm,
         _truth("causal_lm", "text", 160, None, None, "transformer", "rmsnorm", "swiglu", "cross_entropy")),
    Case("hf_bart_seq2seq", hf_bart_seq2seq,
         _truth("seq2seq", "text", 180, None, None, "transformer", "layernorm", "gelu", "cross_entropy")),
    Case("hf_t5_seq2seq", hf_t5_seq2seq,
         # T5LayerNorm is RMS normalization under a LayerNorm name: ambiguous, unscored
         _truth("seq2seq", "text", 220, None, None, "transformer", None, "relu", "cross_entropy")),
    Case("hf_vit_cls", hf_vit_cls,
         _truth("classification", "image", 200, 10, False, "vit", "layernorm", "gelu", "cross_entropy")),
    Case("hf_resnet_cls", hf_resnet_cls,
         _truth("classification", "image", 160, 8, False, "resnet", "batchnorm", "relu", "cross_entropy")),
    Case("hf_convnext_cls", hf_convnext_cls,
         # ConvNeXt: a residual conv net modernised towards ViT; cnn vs resnet is a matter of taste
         _truth("classification", "image", 120, 10, False, None, "layernorm", "gelu", "cross_entropy")),
    Case("hf_wav2vec2_ctc", hf_wav2vec2_ctc,
         _truth("seq2seq", "audio", 60, None, False, "transformer", "layernorm", "gelu", "ctc")),
]

assert len({c.name for c in CASES}) == len(CASES)
assert all(set(c.truth) == set(FIELDS) for c in CASES)
