"""How a probe gets batches and turns one into a loss: the one documented hook.

A batch may be anything your DataLoader yields. By default the probe understands
`(inputs, targets)` (tuple or list), `(input_1, ..., input_k, targets)` for models with several
inputs, dicts with "inputs"/"targets" (or "x"/"y") keys, and Hugging Face batches: a dict with
`labels` (`input_ids`, `attention_mask`, ...) is passed as `model(**batch)` and the loss read from
the output (`loss_fn(logits, labels)` when the model returns no loss).
For anything else pass `compute_loss(model, batch, loss_fn) -> scalar tensor`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, default_collate

from advisor.errors import ProbeError

ComputeLoss = Callable[[nn.Module, Any, Callable[..., torch.Tensor]], torch.Tensor]


def to_device(batch: Any, device: torch.device) -> Any:
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, Mapping):
        return {k: to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, tuple | list):
        return type(batch)(to_device(v, device) for v in batch)
    return batch


def split_batch(batch: Any) -> tuple[Any, Any] | None:
    """(inputs, targets) from the batch shapes the probes understand, else None."""
    if isinstance(batch, Mapping):
        for xk, yk in (("inputs", "targets"), ("x", "y")):
            if xk in batch and yk in batch:
                return batch[xk], batch[yk]
        return None
    if isinstance(batch, Sequence) and not isinstance(batch, str) and len(batch) == 2:
        return batch[0], batch[1]
    return None


def default_compute_loss(model: nn.Module, batch: Any, loss_fn: Callable[..., torch.Tensor]) -> torch.Tensor:
    pair = split_batch(batch)
    if pair is not None:
        return loss_fn(model(pair[0]), pair[1])
    if isinstance(batch, Mapping) and "labels" in batch:
        return _hf_loss(model(**batch), batch["labels"], loss_fn)
    if isinstance(batch, Sequence) and not isinstance(batch, str) and len(batch) > 2:
        return loss_fn(model(*batch[:-1]), batch[-1])
    if isinstance(batch, Mapping):
        raise ProbeError(f"dict batch with keys {sorted(batch)}: expected inputs/targets, x/y, "
                         "or a Hugging Face batch with labels; or pass compute_loss")
    raise ProbeError(f"cannot read a batch of type {type(batch).__name__}: expected "
                     "(inputs, targets) or a dict, or pass compute_loss")


def _hf_loss(output: Any, labels: Any, loss_fn: Callable[..., torch.Tensor] | None) -> torch.Tensor:
    """The loss a Hugging Face model computed from `labels`, else loss_fn on its logits."""
    loss = getattr(output, "loss", None)
    if loss is None and isinstance(output, Mapping):
        loss = output.get("loss")
    if loss is not None:
        return loss
    logits = getattr(output, "logits", None)
    if logits is None and isinstance(output, Mapping):
        logits = output.get("logits")
    if logits is None and isinstance(output, tuple | list) and output:
        logits = output[0]
    if logits is None or loss_fn is None:
        raise ProbeError("the model got labels but returned neither a loss nor logits; pass compute_loss")
    return loss_fn(logits.reshape(-1, logits.shape[-1]) if logits.dim() > 2 else logits, labels.reshape(-1)
                   if logits.dim() > 2 else labels)


def batch_size_of(batch: Any) -> int:
    if isinstance(batch, torch.Tensor):
        return int(batch.shape[0]) if batch.dim() else 1
    if isinstance(batch, Mapping):
        return batch_size_of(next(iter(batch.values())))
    if isinstance(batch, tuple | list) and batch:
        return batch_size_of(batch[0])
    return 1


def make_loader(data: Dataset | DataLoader | Iterable[Any], batch_size: int | None,
                seed: int) -> Iterable[Any]:
    """A DataLoader as given; a Dataset wrapped in a shuffling loader with a seeded generator."""
    if isinstance(data, DataLoader):
        return data
    if isinstance(data, Dataset):
        try:
            n = len(data)  # type: ignore[arg-type]
        except TypeError:
            n = None
        if n == 0:
            raise ProbeError("the dataset is empty")
        generator = torch.Generator().manual_seed(seed)
        return DataLoader(data, batch_size=batch_size or 32, shuffle=True, drop_last=False,
                          generator=generator)
    return data


def cycle(loader: Iterable[Any]) -> Iterator[Any]:
    """Batches forever, restarting the loader; an empty loader is an error, not a hang."""
    while True:
        empty = True
        for batch in loader:
            empty = False
            yield batch
        if empty:
            raise ProbeError("the data yielded no batches")


def dataset_of(data: Any, who: str) -> tuple[Dataset, Callable[[list[Any]], Any]]:
    """The dataset and collate function of a Dataset or DataLoader, for probes that draw batches of
    any size themselves."""
    if isinstance(data, DataLoader):
        return data.dataset, data.collate_fn or default_collate
    if isinstance(data, Dataset):
        return data, default_collate
    raise ProbeError(f"{who} needs a Dataset or a DataLoader (it builds batches of any size itself), "
                     f"got {type(data).__name__}")
