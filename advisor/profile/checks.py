"""Contradictions between the fields of a profile: one message per problem, each at its field.

Kept apart from the models so the list of what cannot go together reads as one table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advisor.profile.model import Profile

Problem = tuple[tuple[str, ...], str]

LANGUAGE_MODELLING = ("causal_lm", "masked_lm")
SEQUENTIAL = ("text", "sequence", "audio")  # modalities where a sequence length means something
TRANSFORMERS = ("transformer", "vit")
ADAPTER_METHODS = ("lora", "qlora")


def contradictions(profile: Profile) -> list[Problem]:
    """Every pair of fields that cannot both hold, as (field path, message)."""
    data, model, budget, hw = profile.data, profile.model, profile.budget, profile.hardware
    out: list[Problem] = []

    def add(path: str, message: str) -> None:
        out.append((tuple(path.split(".")), message))

    task = profile.task
    if task == "regression" and data.num_classes is not None:
        add("data.num_classes", "does not apply to a regression task; remove it")
    if task == "classification" and data.num_classes is None:
        add("data.num_classes", "required for a classification task (an integer >= 2)")
    if task in LANGUAGE_MODELLING and data.num_classes is not None:
        add("data.num_classes",
            f"does not apply to {task} (the vocabulary is not a class list); remove it")
    if task in (*LANGUAGE_MODELLING, "seq2seq") and data.modality == "tabular":
        add("task", f"{task} needs text, sequence or audio data, not tabular")
    if data.modality not in SEQUENTIAL:
        for name in ("sequence_length", "num_tokens"):
            if getattr(data, name) is not None:
                add(f"data.{name}",
                    f"applies to text, sequence or audio data, not {data.modality}; remove it")
    if budget.tokens is not None and data.modality not in SEQUENTIAL:
        add("budget.tokens", f"a token budget applies to text, sequence or audio data, not {data.modality}")

    if model.pretrained and model.pretrain_similarity is None:
        add("model.pretrain_similarity", "required when pretrained is true (allowed: high, low)")
    if not model.pretrained and model.pretrain_similarity is not None:
        add("model.pretrain_similarity", "only applies when pretrained is true; remove it")
    tuning = model.finetuning
    if tuning is not None and not model.pretrained:
        add("model.finetuning", f"{tuning.method} fine-tuning starts from pretrained weights; "
            "set pretrained: true (with pretrain_similarity) or remove finetuning")
    if tuning is not None and tuning.lora_rank is not None and tuning.method not in ADAPTER_METHODS:
        add("model.finetuning.lora_rank", f"only applies to lora or qlora, not {tuning.method}")
    if model.kind is not None and model.family not in TRANSFORMERS:
        add("model.kind", f"describes a transformer's layout; family {model.family} has none")
    if model.batchnorm and model.normalization not in (None, "batchnorm"):
        add("model.normalization", f"{model.normalization} contradicts batchnorm: true; keep one of them")

    given = [name for name in ("epochs", "steps", "tokens") if getattr(budget, name) is not None]
    if len(given) > 1:
        add(f"budget.{given[1]}", f"give one training length, not {' and '.join(given)}: "
            "the others follow from the batch size")
    if (hw.global_batch_size is not None and hw.max_batch_size is not None
            and hw.gradient_accumulation_steps is not None):
        fits = hw.max_batch_size * hw.num_devices * hw.gradient_accumulation_steps
        if hw.global_batch_size > fits:
            add("hardware.global_batch_size",
                f"{hw.global_batch_size} does not fit: {hw.max_batch_size} per device x "
                f"{hw.num_devices} devices x {hw.gradient_accumulation_steps} accumulation steps = {fits}")
    return out
