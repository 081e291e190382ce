"""A profile inferred from the user's model, data and loss: what can be read off them is filled in,
each value with how it was found; what cannot (pretrained weights and how close the data are,
budget, hardware) is left to the caller.

The model is inspected three ways: its module types, a Hugging Face config when it has one, and
the torch functions one forward pass on a few training samples calls (a TorchFunctionMode records
them, so functional activations and norms count as much as modules do). The model's parameters,
buffers and training flag are restored afterwards.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from torch.overrides import TorchFunctionMode
from torch.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset, default_collate

from advisor.errors import ProbeError
from advisor.profile.model import Profile, parse_profile
from advisor_probes.batches import split_batch
from advisor_probes.state import preserved_state

# Samples read for label statistics (classes, imbalance, binary floats) and for the forward pass.
LABEL_SAMPLES = 4096
FORWARD_SAMPLES = 4


@dataclass(frozen=True)
class Inference:
    """The fields found (nested like a profile) and, per dotted path, how each was found."""

    fields: dict[str, Any]
    notes: dict[str, str] = field(default_factory=dict)

    def merged(self, known: Mapping[str, Any]) -> dict[str, Any]:
        """The inferred fields with `known` (nested like a profile) laid over them."""
        return _merge(self.fields, known)

    def profile(self, known: Mapping[str, Any] | None = None) -> Profile:
        return parse_profile(self.merged(known or {}), source="inferred profile")


def _merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def profile_from(
    model: nn.Module, data: Any, loss_fn: Any = None, known: Mapping[str, Any] | None = None
) -> Profile:
    """The profile of a project, inferred from its model, training data and loss; `known` (nested like
    a profile) gives what cannot be inferred, e.g.
    `{"model": {"pretrained": True}, "budget": {"epochs": 10}}`."""
    return infer_profile(model, data, loss_fn).profile(known)


# ---- what the forward pass calls ----------------------------------------------------------------

_ACTIVATIONS: dict[Callable[..., Any], str] = {
    F.relu: "relu",
    F.relu_: "relu",
    torch.relu: "relu",
    torch.relu_: "relu",
    torch.Tensor.relu: "relu",
    torch.Tensor.relu_: "relu",
    F.leaky_relu: "leaky_relu",
    F.gelu: "gelu",
    F.silu: "silu",
    F.relu6: "relu6",
    F.elu: "elu",
    torch.tanh: "tanh",
    F.tanh: "tanh",
    torch.Tensor.tanh: "tanh",
    torch.sigmoid: "sigmoid",
    F.sigmoid: "sigmoid",
    torch.Tensor.sigmoid: "sigmoid",
}
_NORMS: dict[Callable[..., Any], str] = {
    F.batch_norm: "batchnorm",
    F.layer_norm: "layernorm",
    F.group_norm: "groupnorm",
    F.instance_norm: "groupnorm",
    **({F.rms_norm: "rmsnorm"} if hasattr(F, "rms_norm") else {}),
}
_DROPOUTS = {F.dropout, F.dropout1d, F.dropout2d, F.dropout3d, F.alpha_dropout, F.feature_alpha_dropout}
_WEIGHTS: dict[Callable[..., Any], str] = {
    F.linear: "linear",
    F.conv1d: "conv",
    F.conv2d: "conv",
    F.conv3d: "conv",
    F.conv_transpose1d: "conv",
    F.conv_transpose2d: "conv",
    F.conv_transpose3d: "conv",
}
_ADDS = {torch.add, torch.Tensor.add, torch.Tensor.add_, torch.Tensor.__add__, torch.Tensor.__iadd__}


_SOFTMAX = {F.softmax, torch.softmax, torch.Tensor.softmax}
_ATTENTION = {F.scaled_dot_product_attention, F.multi_head_attention_forward}
_MULS = {torch.mul, torch.Tensor.mul, torch.Tensor.__mul__, torch.Tensor.mul_, torch.Tensor.__imul__}


class _Recorder(TorchFunctionMode):
    """The sequence of layer-level ops one forward pass calls: ("act", name), ("norm", name),
    ("dropout", name), ("linear"|"conv", None), ("residual", None), ("attention", None) and
    ("gate", activation) for an activation's output multiplied by a same-shape tensor (GLU MLPs)."""

    def __init__(self) -> None:
        super().__init__()
        self.ops: list[tuple[str, Any]] = []
        self._activated: dict[int, str] = {}  # id of an activation's output -> its name

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        act = None
        if func in _ACTIVATIONS:
            act = _ACTIVATIONS[func]
        elif func is F.hardtanh and _hardtanh_bounds(args, kwargs) == (0.0, 6.0):
            act = "relu6"
        if act is not None:
            self.ops.append(("act", act))
        elif func in _NORMS:
            self.ops.append(("norm", _NORMS[func]))
        elif func in _DROPOUTS:
            p = kwargs.get("p", args[1] if len(args) > 1 else 0.5)
            if float(p) > 0:
                self.ops.append(("dropout", func.__name__))
        elif func in _WEIGHTS:
            self.ops.append((_WEIGHTS[func], None))
        elif func in _ADDS and _same_shape_maps(args):
            self.ops.append(("residual", None))
        elif func in _ATTENTION or (func in _SOFTMAX and _square_scores(args)):
            self.ops.append(("attention", None))
        elif func in _MULS and len(args) >= 2 and _same_shape(args[0], args[1]):
            gated = self._activated.get(id(args[0])) or self._activated.get(id(args[1]))
            if gated:
                self.ops.append(("gate", gated))
        result = func(*args, **kwargs)
        if act is not None and isinstance(result, torch.Tensor):
            self._activated[id(result)] = act
        return result


def _same_shape(a: Any, b: Any) -> bool:
    return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.dim() >= 2 and a.shape == b.shape


def _square_scores(args: Sequence[Any]) -> bool:
    """A softmax over a (..., queries, keys) score matrix of one sequence against itself."""
    x = args[0] if args else None
    return isinstance(x, torch.Tensor) and x.dim() >= 3 and x.shape[-1] == x.shape[-2] and x.shape[-1] > 1


def _hardtanh_bounds(args: Sequence[Any], kwargs: Mapping[str, Any]) -> tuple[float, float]:
    low = kwargs.get("min_val", args[1] if len(args) > 1 else -1.0)
    high = kwargs.get("max_val", args[2] if len(args) > 2 else 1.0)
    return float(low), float(high)


def _same_shape_maps(args: Sequence[Any]) -> bool:
    """An elementwise sum of two feature maps or hidden states of one shape: a skip connection."""
    if len(args) < 2 or not all(isinstance(a, torch.Tensor) for a in args[:2]):
        return False
    a, b = args[0], args[1]
    return a.dim() >= 3 and a.shape == b.shape and a.is_floating_point()


# ---- the data ------------------------------------------------------------------------------------


@dataclass
class _Samples:
    count: int | None
    batch: Any
    labels: torch.Tensor | None  # per-sample labels, when each sample has one


def _dataset_and_collate(data: Any) -> tuple[Any, Callable[[list[Any]], Any]]:
    if isinstance(data, DataLoader):
        return data.dataset, data.collate_fn or default_collate
    return data, default_collate


def _read_samples(data: Any) -> _Samples:
    if hasattr(data, "train_dataloader") and not isinstance(data, Dataset | DataLoader):
        if hasattr(data, "setup"):  # a LightningDataModule: its training loader
            data.setup("fit")
        data = data.train_dataloader()
    dataset, collate = _dataset_and_collate(data)
    if isinstance(dataset, IterableDataset) or not isinstance(dataset, Dataset | Sequence):
        batch = next(iter(data if isinstance(data, DataLoader) else DataLoader(dataset, batch_size=8)), None)
        if batch is None:
            raise ProbeError("the data yielded no samples")
        return _Samples(None, batch, _batch_labels(batch))
    try:
        count = len(dataset)  # type: ignore[arg-type]
    except TypeError:
        count = None
    if count == 0:
        raise ProbeError("the dataset is empty")
    n = min(count or FORWARD_SAMPLES, FORWARD_SAMPLES)
    batch = collate([dataset[i] for i in range(n)])
    return _Samples(count, batch, _labels(dataset, count))


def _batch_labels(batch: Any) -> torch.Tensor | None:
    """The labels of one collated batch: what an IterableDataset lets be read without iterating it."""
    label = _label_of(batch)
    return label if isinstance(label, torch.Tensor) and label.dim() >= 1 else None


def _labels(dataset: Any, count: int | None) -> torch.Tensor | None:
    """Per-sample labels: a TensorDataset's last tensor read whole, else up to LABEL_SAMPLES items
    spread over the dataset."""
    if isinstance(dataset, TensorDataset) and len(dataset.tensors) >= 2:
        return dataset.tensors[-1]
    if not count:
        return None
    step = max(1, count // LABEL_SAMPLES)
    found = []
    for i in range(0, count, step):
        label = _label_of(dataset[i])
        if label is None:
            return None
        found.append(label)
    try:
        return torch.stack(found)
    except RuntimeError:  # labels of varying shapes (sequences)
        return None


_LABEL_KEYS = ("labels", "label", "targets", "target", "y")


def _label_of(item: Any) -> torch.Tensor | None:
    if isinstance(item, Mapping):
        for key in _LABEL_KEYS:
            if key in item:
                return torch.as_tensor(item[key])
        return None
    if isinstance(item, tuple | list) and len(item) >= 2:
        return torch.as_tensor(item[-1])
    return None


def _inputs_of(batch: Any) -> tuple[Any, str | None]:
    """The model's main input in a batch and the Hugging Face key it came under, if any."""
    if isinstance(batch, Mapping):
        for key in ("input_ids", "pixel_values", "input_values", "input_features", "inputs_embeds"):
            if key in batch:
                return batch[key], key
    pair = split_batch(batch)
    if pair is not None:
        return _inputs_of(pair[0])[0], None
    if isinstance(batch, Mapping):  # a dict of its own: the first non-label tensor
        return next(
            (v for k, v in batch.items() if k not in _LABEL_KEYS and isinstance(v, torch.Tensor)), batch
        ), None
    if isinstance(batch, tuple | list) and batch:
        return _inputs_of(batch[0])[0], None
    return batch, None


def _calls(batch: Any) -> list[tuple[str, Callable[[nn.Module], Any]]]:
    """Ways to call a model on a batch, most specific first: Hugging Face keyword batches (labels
    kept: encoder-decoders build their decoder inputs from them), (inputs, targets), several inputs
    then a target, all items as inputs, one input."""
    calls: list[tuple[str, Callable[[nn.Module], Any]]] = []
    if isinstance(batch, Mapping):
        calls.append(("model(**batch)", lambda m: m(**batch)))
        rest = {k: v for k, v in batch.items() if k not in _LABEL_KEYS}
        calls.append(("model(**inputs)", lambda m: m(**rest)))
        if len(rest) == 1:
            calls.append(("model(input)", lambda m: m(next(iter(rest.values())))))
        calls.append(("model(batch)", lambda m: m(batch)))
        calls.append(("model(inputs)", lambda m: m(rest)))
        return calls
    if isinstance(batch, tuple | list) and batch:
        first = batch[0]
        calls.append(("model(inputs)", lambda m: m(first)))
        for k in range(2, len(batch)):  # several inputs, then one or more targets
            calls.append((f"model(*batch[:{k}])", lambda m, k=k: m(*batch[:k])))
        if isinstance(first, tuple | list):
            calls.append(("model(*batch[0])", lambda m: m(*first)))
        calls.append(("model(*batch)", lambda m: m(*batch)))
        return calls
    return [("model(batch)", lambda m: m(batch))]


def _forward(model: nn.Module, batch: Any) -> tuple[Any, _Recorder]:
    """The output of the first way of calling the model that works, and what that call ran."""
    failures = []
    for name, call in _calls(batch):
        recorder = _Recorder()
        try:
            with recorder:
                return call(model), recorder
        except Exception as exc:  # the next convention may be the model's
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
    raise ProbeError(
        f"one forward pass on {FORWARD_SAMPLES} training samples failed every way of calling "
        "the model: " + "; ".join(failures)
    )


def _logits(output: Any) -> torch.Tensor | None:
    if isinstance(output, torch.Tensor):
        return output
    logits = getattr(output, "logits", None)
    if logits is None and isinstance(output, Mapping):
        logits = output.get("logits")
    if logits is None and isinstance(output, tuple | list) and output and isinstance(output[0], torch.Tensor):
        logits = output[0]
    return logits


# ---- inference -------------------------------------------------------------------------------------

_HF_FAMILIES = {
    "vit": "vit",
    "deit": "vit",
    "beit": "vit",
    "swin": "vit",
    "swinv2": "vit",
    "dinov2": "vit",
    "vit_mae": "vit",
    "resnet": "resnet",
    "convnext": "cnn",
    "convnextv2": "cnn",
    "regnet": "cnn",
    "segformer": "vit",
    "mobilenet_v1": "mobilenet",
    "mobilenet_v2": "mobilenet",
    "efficientnet": "mobilenet",
}
_HF_AUDIO = {"wav2vec2", "hubert", "wavlm", "whisper", "data2vec-audio", "unispeech", "sew"}
_HF_DECODERS = {
    "gpt2",
    "gpt_neo",
    "gptj",
    "gpt_neox",
    "llama",
    "mistral",
    "mixtral",
    "qwen2",
    "qwen3",
    "gemma",
    "gemma2",
    "phi",
    "phi3",
    "opt",
    "bloom",
    "falcon",
    "mpt",
    "olmo",
    "stablelm",
    "starcoder2",
}
_HF_TASKS = (
    ("ForCausalLM", "causal_lm"),
    ("LMHeadModel", "causal_lm"),
    ("ForMaskedLM", "masked_lm"),
    ("ForConditionalGeneration", "seq2seq"),
    ("ForSeq2SeqLM", "seq2seq"),
    ("ForSpeechSeq2Seq", "seq2seq"),
    ("ForCTC", "seq2seq"),
    ("ForSemanticSegmentation", "segmentation"),
    ("ForObjectDetection", "detection"),
    ("Classification", "classification"),
    ("ForMultipleChoice", "classification"),
    ("ForQuestionAnswering", "classification"),
)
_LOSSES = (  # (class or function name, loss, task)
    (("CrossEntropyLoss", "NLLLoss", "cross_entropy", "nll_loss"), "cross_entropy", "classification"),
    (
        ("BCEWithLogitsLoss", "BCELoss", "binary_cross_entropy", "binary_cross_entropy_with_logits"),
        "bce",
        "classification",
    ),
    (
        (
            "MSELoss",
            "L1Loss",
            "SmoothL1Loss",
            "HuberLoss",
            "mse_loss",
            "l1_loss",
            "smooth_l1_loss",
            "huber_loss",
        ),
        "mse",
        "regression",
    ),
    (("CTCLoss", "ctc_loss"), "ctc", "seq2seq"),
    (
        ("TripletMarginLoss", "TripletMarginWithDistanceLoss", "triplet_margin_loss"),
        "triplet",
        "metric_learning",
    ),
    (
        ("MultiMarginLoss", "HingeEmbeddingLoss", "MultiLabelMarginLoss", "multi_margin_loss"),
        "hinge",
        "classification",
    ),
)


class _Builder:
    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}
        self.notes: dict[str, str] = {}

    def set(self, path: str, value: Any, note: str) -> None:
        *parents, leaf = path.split(".")
        node = self.fields
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
        self.notes[path] = note

    def get(self, path: str) -> Any:
        node: Any = self.fields
        for part in path.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return None
            node = node[part]
        return node


def infer_profile(model: nn.Module, data: Any, loss_fn: Any = None) -> Inference:
    """Every profile field that the model, a few training samples and the loss determine."""
    if not isinstance(model, nn.Module):
        raise ProbeError(f"the model must be a torch.nn.Module, got {type(model).__name__}")
    samples = _read_samples(data)
    with preserved_state(model), torch.no_grad():
        model.eval()
        output, recorder = _forward(model, samples.batch)
    out = _Builder()
    config = getattr(model, "config", None)
    hf = config if config is not None and hasattr(config, "model_type") else None
    inputs, hf_key = _inputs_of(samples.batch)
    _modality(out, inputs, hf_key, hf)
    _task_and_loss(out, model, loss_fn, samples, _logits(output), hf)
    _data(out, model, samples, inputs)
    _family(out, model, recorder.ops, hf)
    _layers(out, model, recorder.ops, hf)
    _finetuning(out, model)
    return Inference(out.fields, out.notes)


def _modality(out: _Builder, inputs: Any, hf_key: str | None, hf: Any) -> None:
    if hf is not None and hf.model_type in _HF_AUDIO:
        out.set("data.modality", "audio", f"a {type(hf).__name__} (speech model)")
        return
    by_key = {
        "input_ids": "text",
        "pixel_values": "image",
        "input_values": "audio",
        "input_features": "audio",
    }
    if hf_key in by_key:
        out.set("data.modality", by_key[hf_key], f"the batches carry `{hf_key}`")
        return
    if not isinstance(inputs, torch.Tensor):
        raise ProbeError(
            f"cannot tell the data's modality from inputs of type {type(inputs).__name__}; "
            "give `data.modality`"
        )
    rank, shape = inputs.dim(), tuple(inputs.shape)
    if not inputs.is_floating_point() and rank == 2:
        modality, why = "text", f"integer inputs of shape {shape}: token ids"
    elif rank >= 4:
        modality, why = "image", f"inputs of shape {shape}: (batch, channels, height, width)"
    elif rank == 3 and shape[1] <= 2 and shape[2] >= 1000:
        modality, why = "audio", f"inputs of shape {shape}: (batch, channels, samples), a waveform"
    elif rank == 3:
        modality, why = "sequence", f"inputs of shape {shape}: (batch, time, features)"
    else:
        modality, why = "tabular", f"inputs of shape {shape}: (batch, features)"
    out.set("data.modality", modality, why)


def _loss_kind(loss_fn: Any) -> tuple[str | None, str, str] | None:
    if loss_fn is None:
        return None
    names = {type(loss_fn).__name__, getattr(loss_fn, "__name__", "")}
    for aliases, loss, task in _LOSSES:
        if names & set(aliases):
            return loss, task, next(iter(names & set(aliases)))
    if any("focal" in n.lower() for n in names):
        return "focal", "classification", next(n for n in names if "focal" in n.lower())
    for n in names:
        if any(k in n.lower() for k in ("contrastive", "npair", "n_pair", "arcface", "cosineembedding")):
            return ("n_pair" if "pair" in n.lower() else None), "metric_learning", n
    return None


def _task_and_loss(
    out: _Builder, model: nn.Module, loss_fn: Any, samples: _Samples, logits: torch.Tensor | None, hf: Any
) -> None:
    modality = out.get("data.modality")
    kind = _loss_kind(loss_fn)
    if hf is not None:
        cls = type(model).__name__
        task = next((t for suffix, t in _HF_TASKS if suffix in cls), None)
        if task in (None, "causal_lm") and getattr(hf, "is_encoder_decoder", False):
            task = "seq2seq"
        if task == "classification" and (
            getattr(hf, "problem_type", None) == "regression" or getattr(hf, "num_labels", 2) == 1
        ):
            out.set("task", "regression", f"a {cls} with one output (num_labels = 1)")
            out.set("loss.name", "mse", "Hugging Face regresses one label with MSE")
            return
        if task:
            out.set("task", task, f"a Hugging Face {cls}")
            if cls.endswith("ForCTC"):
                out.set("loss.name", "ctc", f"{cls} is trained with CTC")
            elif task in ("classification", "causal_lm", "masked_lm", "seq2seq", "segmentation"):
                out.set("loss.name", "cross_entropy", f"{cls} computes a cross-entropy loss")
            if task in ("classification", "segmentation") and getattr(hf, "num_labels", 0) >= 2:
                out.set("data.num_classes", int(hf.num_labels), f"config.num_labels = {hf.num_labels}")
            return
    labels = samples.labels
    if kind is not None:
        loss, task, name = kind
        if loss is not None:
            out.set("loss.name", loss, f"the loss is {name}")
        if loss == "cross_entropy" and logits is not None and modality == "text" and logits.dim() == 3:
            task, why = _per_token_task(model, logits, name, samples.batch)
        elif loss == "cross_entropy" and logits is not None and modality == "image" and logits.dim() == 4:
            task, why = "segmentation", f"{name} on per-pixel logits of shape {tuple(logits.shape)}"
        else:
            why = f"the loss is {name}"
        out.set("task", task, why)
    elif labels is not None:
        if not labels.is_floating_point() and logits is not None and modality == "text" and logits.dim() == 3:
            task, why = _per_token_task(model, logits, "integer labels", samples.batch)
            out.set("task", task, why)
            out.set("loss.name", "cross_entropy", "integer labels")
        elif not labels.is_floating_point():
            out.set("task", "classification", "integer labels")
            out.set("loss.name", "cross_entropy", "integer labels")
        elif bool(((labels == 0) | (labels == 1)).all()):
            out.set("task", "classification", "labels are 0/1 floats")
            out.set("loss.name", "bce", "labels are 0/1 floats")
        else:
            out.set("task", "regression", "continuous float labels")
            out.set("loss.name", "mse", "continuous float labels")
    elif logits is not None and _same_shape(logits, _inputs_of(samples.batch)[0]):
        out.set(
            "task",
            "generation",
            "no labels, and the model's output has its input's shape (it reconstructs it)",
        )
    else:
        raise ProbeError(
            "cannot tell the task: pass the loss function, or data whose samples end with a label"
        )
    if out.get("task") not in ("classification", "segmentation"):
        return
    if logits is not None and logits.dim() >= 2 and out.get("data.num_classes") is None:
        width = int(logits.shape[1] if logits.dim() == 4 else logits.shape[-1])
        if out.get("loss.name") == "bce" and width == 1:
            out.set("data.num_classes", 2, "one output logit with a binary loss")
        elif width >= 2:
            out.set("data.num_classes", width, f"the model outputs {width} logits")
    if out.get("data.num_classes") is None and labels is not None and not labels.is_floating_point():
        classes = int(labels.max()) + 1
        if classes >= 2:
            out.set("data.num_classes", classes, f"labels run from 0 to {classes - 1}")
    if out.get("data.num_classes") is None and out.get("loss.name") == "bce":
        out.set("data.num_classes", 2, "0/1 labels")


def _per_token_task(model: nn.Module, logits: torch.Tensor, loss: str, batch: Any = None) -> tuple[str, str]:
    """Per-token logits over the vocabulary are a language model: masked when most labels are the
    ignore index -100, seq2seq when the model has an encoder and a decoder or reads two token
    sequences (source, target); over a few tags, token classification."""
    width = int(logits.shape[-1])
    vocab = {m.num_embeddings for m in model.modules() if isinstance(m, nn.Embedding)}
    shape = tuple(logits.shape)
    if width not in vocab:
        return "classification", f"{loss} on per-token logits over {width} tags, not the vocabulary"
    labels = _batch_labels(batch) if batch is not None else None
    if labels is not None and not labels.is_floating_point() and float((labels == -100).float().mean()) > 0.5:
        return "masked_lm", f"{loss} on per-token logits; most labels are -100 (only masked tokens count)"
    if (
        isinstance(batch, tuple | list)
        and len(batch) >= 3
        and all(isinstance(t, torch.Tensor) and not t.is_floating_point() and t.dim() == 2 for t in batch[:2])
    ):
        return "seq2seq", f"{loss} on per-token logits of a model reading a source and a target sequence"
    names = _module_names(model)
    children = {name.lower() for name, _ in model.named_children()}
    if (
        names["Transformer"]
        or (names["TransformerEncoderLayer"] and names["TransformerDecoderLayer"])
        or (any("encoder" in c for c in children) and any("decoder" in c for c in children))
    ):
        return "seq2seq", f"{loss} on per-token logits {shape} of an encoder-decoder"
    return "causal_lm", f"{loss} on per-token logits {shape} over the vocabulary"


def _data(out: _Builder, model: nn.Module, samples: _Samples, inputs: Any) -> None:
    if samples.count is not None:
        out.set("data.num_samples", samples.count, "len() of the training dataset")
    labels = samples.labels
    if (
        out.get("task") == "classification"
        and labels is not None
        and labels.dim() == 1
        and len(labels) > 0
        and (not labels.is_floating_point() or bool(((labels == 0) | (labels == 1)).all()))
    ):
        counts = torch.bincount(labels.long()).tolist()
        present = [c for c in counts if c > 0]
        if len(present) >= 2:
            ratio = round(max(present) / min(present), 2)
            scope = "all" if len(labels) == samples.count else f"{len(labels)} spread-out"
            out.set(
                "data.imbalance_ratio",
                max(1.0, ratio),
                f"largest/smallest class count over {scope} training labels",
            )
    modality = out.get("data.modality")
    if isinstance(inputs, torch.Tensor):
        if inputs.layout != torch.strided:
            out.set("data.sparse_features", True, "the inputs are sparse tensors")
        elif any(isinstance(m, nn.EmbeddingBag) for m in model.modules()):
            out.set("data.sparse_features", True, "an EmbeddingBag reads bags of sparse ids")
        elif modality == "tabular" and inputs.numel() > 0:
            zeros = float((inputs == 0).float().mean())
            if zeros >= 0.9:
                out.set("data.sparse_features", True, f"{zeros:.0%} of the input values are zero")
        if modality in ("text", "sequence", "audio") and inputs.dim() >= 2:
            length = int(inputs.shape[-1] if modality == "audio" and inputs.dim() == 3 else inputs.shape[1])
            out.set("data.sequence_length", length, f"input shape {tuple(inputs.shape)}")
            if out.get("task") in ("causal_lm", "masked_lm") and samples.count:
                out.set(
                    "data.num_tokens", samples.count * length, f"{samples.count} samples x {length} tokens"
                )


def _module_names(model: nn.Module) -> Counter[str]:
    """Module class names; a TorchScript module reports the class it was scripted from."""
    return Counter(getattr(m, "original_name", None) or type(m).__name__ for m in model.modules())


def _family(out: _Builder, model: nn.Module, ops: list[tuple[str, Any]], hf: Any) -> None:
    names = _module_names(model)
    modality = out.get("data.modality")
    if hf is not None:
        family = _HF_FAMILIES.get(hf.model_type, "transformer")
        out.set("model.family", family, f"a Hugging Face {type(hf).__name__} (model_type {hf.model_type!r})")
        if family == "transformer":
            cls = type(model).__name__
            if getattr(hf, "is_encoder_decoder", False):
                kind, why = "encoder_decoder", "config.is_encoder_decoder"
            elif hf.model_type in _HF_DECODERS or "CausalLM" in cls or getattr(hf, "is_decoder", False):
                kind, why = "decoder", f"{hf.model_type} is a decoder-only model"
            else:
                kind, why = "encoder", f"{hf.model_type} is an encoder"
            out.set("model.kind", kind, why)
        return
    recurrent = {
        "lstm": names["LSTM"] + names["LSTMCell"],
        "gru": names["GRU"] + names["GRUCell"],
        "rnn": names["RNN"] + names["RNNCell"],
    }
    # self-attention seen at work (or its standard layers); a class merely named "...Attention"
    # beside recurrent layers is an RNN's additive attention, not a transformer
    attention = sum(1 for op, _ in ops if op == "attention") + sum(
        n
        for name, n in names.items()
        if name in ("MultiheadAttention", "TransformerEncoderLayer", "TransformerDecoderLayer")
    )
    if not attention and not any(recurrent.values()):
        attention = sum(n for name, n in names.items() if "Attention" in name)
    convs = [m for m in model.modules() if isinstance(m, nn.modules.conv._ConvNd)]
    conv_count = max(
        len(convs),
        sum(1 for op, _ in ops if op == "conv"),
        sum(n for name, n in names.items() if name.startswith("Conv")),
    )
    linear_count = max(names["Linear"], sum(1 for op, _ in ops if op == "linear"))
    depthwise = [m for m in convs if m.groups > 1 and m.groups == m.in_channels]
    residual = sum(1 for op, _ in ops if op == "residual")
    if attention:
        layout = names["TransformerEncoderLayer"], names["TransformerDecoderLayer"]
        if modality == "image":
            out.set("model.family", "vit", f"attention layers ({attention}) on images")
        else:
            out.set("model.family", "transformer", f"attention layers ({attention})")
        if all(layout):
            out.set(
                "model.kind", "encoder_decoder", "both TransformerEncoderLayer and TransformerDecoderLayer"
            )
        elif out.get("task") == "causal_lm" or layout[1]:
            out.set(
                "model.kind",
                "decoder",
                "a causal language model"
                if out.get("task") == "causal_lm"
                else "TransformerDecoderLayer only",
            )
        elif modality != "image":
            out.set("model.kind", "encoder", "attention layers without a decoder")
    elif any(recurrent.values()):
        family = max(recurrent, key=lambda k: recurrent[k])
        out.set("model.family", family, f"{recurrent[family]} {family.upper()} layer(s)")
    elif len(depthwise) >= 3:
        out.set("model.family", "mobilenet", f"{len(depthwise)} depthwise convolutions")
    elif conv_count and (
        residual >= 2
        or any(k in n for n in names for k in ("Bottleneck", "BasicBlock", "ResNet", "Residual", "ResBlock"))
    ):
        why = (
            f"{conv_count} convolutions with {residual} skip connections"
            if residual >= 2
            else "residual blocks"
        )
        out.set("model.family", "resnet", why)
    elif conv_count:
        out.set("model.family", "cnn", f"{conv_count} convolutions, no skip connections")
    elif linear_count:
        out.set(
            "model.family", "mlp", f"{linear_count} linear layers and no conv, recurrent or attention layer"
        )
    else:
        raise ProbeError("cannot tell the model family from its layers; give `model.family`")


def _layers(out: _Builder, model: nn.Module, ops: list[tuple[str, Any]], hf: Any) -> None:
    params = {id(p): p.numel() for p in model.parameters()}
    out.set("model.num_params", int(sum(params.values())), "the model's parameters, counted")
    family = out.get("model.family")
    names = _module_names(model)
    # depth: blocks for transformers, weight layers otherwise
    if hf is not None and getattr(hf, "num_hidden_layers", None):
        layers = int(hf.num_hidden_layers)
        extra = int(getattr(hf, "decoder_layers", 0) or 0) if getattr(hf, "is_encoder_decoder", False) else 0
        out.set(
            "model.depth", layers + extra, "config.num_hidden_layers" + (" + decoder_layers" if extra else "")
        )
    elif family in ("transformer", "vit"):
        blocks = names["TransformerEncoderLayer"] + names["TransformerDecoderLayer"]
        if blocks:
            out.set("model.depth", blocks, f"{blocks} transformer layers")
    else:
        rnn_layers = sum(m.num_layers for m in model.modules() if isinstance(m, nn.RNNBase))
        weights = sum(
            1
            for m in model.modules()
            if isinstance(m, nn.Linear | nn.modules.conv._ConvNd) and not _is_shortcut(model, m)
        )
        if weights + rnn_layers:
            out.set(
                "model.depth",
                weights + rnn_layers,
                "weight layers (linear, conv, recurrent), not counting 1x1 shortcut projections",
            )
    # normalization: modules first (custom RMSNorm classes do their own arithmetic), then the ops
    if not any(kind in ("linear", "conv") for kind, _ in ops):  # TorchScript runs outside Python
        ops = _ops_from_module_names(names)
    norms = Counter(op for kind, op in ops if kind == "norm")
    for name, count in names.items():
        if "RMSNorm" in name:
            norms["rmsnorm"] += count
    if norms:
        norm, count = norms.most_common(1)[0]
        out.set("model.normalization", norm, f"{count} {norm} call(s) in a forward pass")
    else:
        out.set("model.normalization", "none", "no normalization layer is called")
    # activation: the most frequent hidden activation; an output squashing after the last layer is not one
    acts = [op for kind, op in _hidden_activations(ops)]
    gates = Counter(op for kind, op in ops if kind == "gate")
    hf_act = _hf_activation(hf)
    if gates["silu"] and gates["silu"] * 2 >= Counter(acts)["silu"]:
        out.set("model.activation", "swiglu", f"{gates['silu']} SiLU output(s) gate a same-shape projection")
    elif hf_act:
        out.set("model.activation", hf_act[0], hf_act[1])
    elif acts:
        act, count = Counter(acts).most_common(1)[0]
        out.set("model.activation", act, f"{count} {act} call(s) in a forward pass")
    elif family in ("lstm", "gru", "rnn"):
        out.set("model.activation", "tanh", f"the {family.upper()} cell's own tanh")
    placement, why = _dropout_placement(model, ops)
    out.set("model.dropout_placement", placement, why)


_NAMED_OPS = {
    "BatchNorm1d": ("norm", "batchnorm"),
    "BatchNorm2d": ("norm", "batchnorm"),
    "BatchNorm3d": ("norm", "batchnorm"),
    "LayerNorm": ("norm", "layernorm"),
    "GroupNorm": ("norm", "groupnorm"),
    "RMSNorm": ("norm", "rmsnorm"),
    "ReLU": ("act", "relu"),
    "LeakyReLU": ("act", "leaky_relu"),
    "GELU": ("act", "gelu"),
    "SiLU": ("act", "silu"),
    "ReLU6": ("act", "relu6"),
    "ELU": ("act", "elu"),
    "Tanh": ("act", "tanh"),
    "Sigmoid": ("act", "sigmoid"),
    "Linear": ("linear", None),
    "Conv1d": ("conv", None),
    "Conv2d": ("conv", None),
    "Conv3d": ("conv", None),
}


def _ops_from_module_names(names: Counter[str]) -> list[tuple[str, Any]]:
    """Layer ops read off module class names, for models whose forward cannot be traced."""
    return [_NAMED_OPS[name] for name, n in names.items() if name in _NAMED_OPS for _ in range(n)]


def _hf_activation(hf: Any) -> tuple[str, str] | None:
    """A Hugging Face config's activation name, mapped (gelu_new, gelu_pytorch_tanh: GELU's tanh form)."""
    if hf is None:
        return None
    for key in ("hidden_act", "activation_function", "hidden_activation", "feed_forward_proj"):
        name = getattr(hf, key, None)
        if isinstance(name, str):
            low = name.lower()
            for part, act in (
                ("gelu", "gelu"),
                ("silu", "silu"),
                ("swish", "silu"),
                ("relu6", "relu6"),
                ("relu", "relu"),
                ("tanh", "tanh"),
            ):
                if part in low:
                    return act, f"config.{key} = {name!r}"
    return None


def _is_shortcut(model: nn.Module, module: nn.Module) -> bool:
    if not isinstance(module, nn.modules.conv._ConvNd) or math.prod(module.kernel_size) != 1:
        return False
    name = next((n for n, m in model.named_modules() if m is module), "")
    return any(k in name for k in ("downsample", "shortcut", "skip", "proj"))


def _hidden_activations(ops: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    last_weight = max((i for i, (kind, _) in enumerate(ops) if kind in ("linear", "conv")), default=-1)
    return [
        op
        for i, op in enumerate(ops)
        if op[0] == "act" and not (i > last_weight and op[1] in ("sigmoid", "tanh"))
    ]


def _dropout_placement(model: nn.Module, ops: list[tuple[str, Any]]) -> tuple[str, str]:
    recurrent_dropout = [m for m in model.modules() if isinstance(m, nn.RNNBase) and m.dropout > 0]
    drops = [i for i, (kind, _) in enumerate(ops) if kind == "dropout"]
    cells = any(isinstance(m, nn.RNNCellBase) for m in model.modules())
    if not drops and not recurrent_dropout:
        return "none", "no dropout is applied"
    if cells and drops:
        return "recurrent_cell", "dropout between calls of a recurrent cell"
    # what each dropout feeds: the next weight or norm op after it
    following = [
        next(((k, v) for k, v in ops[i + 1 :] if k in ("linear", "conv", "norm")), ("", None)) for i in drops
    ]
    if ("norm", "batchnorm") in following:
        return "before_batchnorm", "a dropout output goes straight into BatchNorm"
    if any(k == "conv" for k, _ in following) or any(ops[i][1] in ("dropout2d", "dropout3d") for i in drops):
        return "convolutional", "dropout on convolutional feature maps"
    first_weight = next((i for i, (kind, _) in enumerate(ops) if kind in ("linear", "conv")), len(ops))
    last_weight = max((i for i, (kind, _) in enumerate(ops) if kind in ("linear", "conv")), default=0)
    if recurrent_dropout or all(i < first_weight or i >= _previous_weight(ops, last_weight) for i in drops):
        return "input_output", (
            "dropout between recurrent layers"
            if recurrent_dropout and not drops
            else "dropout on the inputs and/or before the output layer only"
        )
    return "fully_connected", "dropout before fully connected layers"


def _previous_weight(ops: list[tuple[str, Any]], last: int) -> int:
    return max((i for i, (kind, _) in enumerate(ops[:last]) if kind in ("linear", "conv")), default=0)


def _finetuning(out: _Builder, model: nn.Module) -> None:
    lora = [p for n, p in model.named_parameters() if "lora_A" in n]
    if lora:
        rank = int(min(p.shape[0] for p in lora))
        out.set("model.pretrained", True, "LoRA adapters sit on the model")
        out.set("model.finetuning.method", "lora", f"{len(lora)} LoRA A matrices")
        out.set("model.finetuning.lora_rank", rank, "the LoRA A matrices' rank")
