"""Batches the probes read without a compute_loss hook: HF-style dicts and several inputs."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from advisor import ProbeError
from advisor_probes import batch_size_probe, lr_range_test
from advisor_probes.batches import default_compute_loss


@dataclass
class Output:  # what a Hugging Face model returns: attributes, loss only when labels are given
    logits: torch.Tensor
    loss: torch.Tensor | None = None


class TinyTokenClassifier(nn.Module):
    """Follows the Hugging Face calling convention: forward(input_ids, attention_mask, labels)."""

    def __init__(self, vocab: int = 50, classes: int = 3, return_loss: bool = True) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, 16)
        self.head = nn.Linear(16, classes)
        self.return_loss = return_loss

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                labels: torch.Tensor | None = None) -> Output:
        mask = attention_mask.unsqueeze(-1).float()
        pooled = (self.embed(input_ids) * mask).sum(1) / mask.sum(1).clamp(min=1)
        logits = self.head(pooled)
        if labels is None or not self.return_loss:
            return Output(logits=logits)
        return Output(logits=logits, loss=nn.functional.cross_entropy(logits, labels))


class DictDataset(Dataset):
    def __init__(self, n: int = 256) -> None:
        g = torch.Generator().manual_seed(0)
        self.ids = torch.randint(0, 50, (n, 12), generator=g)
        self.mask = torch.ones(n, 12, dtype=torch.long)
        self.labels = self.ids[:, 0] % 3

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.ids[i], "attention_mask": self.mask[i], "labels": self.labels[i]}


@pytest.mark.parametrize("return_loss", [True, False])
def test_hugging_face_dict_batches(return_loss: bool) -> None:
    model, data = TinyTokenClassifier(return_loss=return_loss), DictDataset()
    batch = next(iter(DataLoader(data, batch_size=8)))
    loss = default_compute_loss(model, batch, nn.CrossEntropyLoss())
    assert loss.dim() == 0 and torch.isfinite(loss)
    lr = lr_range_test(model, data, nn.CrossEntropyLoss(), optimizer="adamw", steps=30, batch_size=16)
    assert lr.steps_run > 0 and lr.state_restored
    bs = batch_size_probe(model, data, nn.CrossEntropyLoss(), memory="64MiB")
    assert bs.status == "ok" and bs.predicted_max_batch <= len(data) and bs.state_restored


class TwoInputs(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(4, 8), nn.Linear(3, 8)
        self.out = nn.Linear(8, 1)

    def forward(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        return self.out(torch.relu(self.a(x1) + self.b(x2)))


def test_several_inputs_then_the_target() -> None:
    data = TensorDataset(torch.randn(200, 4), torch.randn(200, 3), torch.randn(200, 1))
    model = TwoInputs()
    loss = default_compute_loss(model, data[:10], nn.MSELoss())
    assert loss.dim() == 0
    assert lr_range_test(model, data, nn.MSELoss(), steps=30, batch_size=16).state_restored


def test_a_dict_without_known_keys_says_what_it_expected() -> None:
    with pytest.raises(ProbeError, match="Hugging Face batch with labels"):
        default_compute_loss(nn.Linear(2, 2), {"features": torch.zeros(2, 2)}, nn.MSELoss())
