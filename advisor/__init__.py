"""hparam-advisor: a rule-based expert system for deep-learning hyperparameters.

    >>> from advisor import load_profile, recommend
    >>> rec = recommend(load_profile("examples/cifar10-resnet-sgd.yaml"))
    >>> rec.config["learning_rate"], [d.name for d in rec.search_space]

Importing this package loads neither torch nor scikit-optimize.
"""

from advisor.core.knowledge import KnowledgeBase, check_rules, default_knowledge_base, load_knowledge_base
from advisor.core.recommendation import AdviceItem, Dimension, Explanation, Recommendation, recommend
from advisor.core.rule import Rule
from advisor.errors import (
    AdvisorError,
    EngineError,
    InputFileError,
    InternalError,
    KnowledgeBaseError,
    MissingDependencyError,
    ProbeError,
    ProfileError,
    UnknownParameterError,
    UnknownRuleError,
    UserModelError,
)
from advisor.evidence.results import ProbeResults
from advisor.profile.model import Profile, load_profile, parse_profile

__all__ = [
    "AdviceItem",
    "AdvisorError",
    "Dimension",
    "EngineError",
    "Explanation",
    "InputFileError",
    "InternalError",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "MissingDependencyError",
    "ProbeError",
    "ProbeResults",
    "Profile",
    "ProfileError",
    "Recommendation",
    "Rule",
    "UnknownParameterError",
    "UnknownRuleError",
    "UserModelError",
    "check_rules",
    "default_knowledge_base",
    "load_knowledge_base",
    "load_profile",
    "parse_profile",
    "recommend",
]
from advisor.version import __version__ as __version__  # re-exported


def __getattr__(name: str) -> object:
    # `advisor.profile_from(model, data, loss_fn)` imports torch on first use only
    if name == "profile_from":
        from advisor.integrations.profile_inference import profile_from

        return profile_from
    raise AttributeError(f"module 'advisor' has no attribute {name!r}")
