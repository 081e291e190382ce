"""The advisor inside the user's training code: a profile inferred from the model
(`profile_from`), the config applied in PyTorch (`build_training`), Lightning (`AdvisorCallback`)
and the Hugging Face Trainer (`training_arguments`).

Each name imports its framework on first use, so `import advisor.integrations` loads none of them.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "profile_from": "advisor.integrations.profile_inference",
    "infer_profile": "advisor.integrations.profile_inference",
    "Inference": "advisor.integrations.profile_inference",
    "build_training": "advisor.integrations.torch_training",
    "TrainingPlan": "advisor.integrations.torch_training",
    "lr_lambda": "advisor.integrations.torch_training",
    "AdvisorCallback": "advisor.integrations.lightning_callback",
    "advisor_optimizers": "advisor.integrations.lightning_callback",
    "training_arguments": "advisor.integrations.hf_trainer",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'advisor.integrations' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
