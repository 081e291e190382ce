"""The engine and the knowledge base: facts, the expression language, rules, the loader and
checker, forward chaining, and the two answers built on it (a recommendation, a diagnosis)."""

from advisor.core.knowledge import KnowledgeBase, default_knowledge_base, load_knowledge_base
from advisor.core.recommendation import Recommendation, recommend

__all__ = ["KnowledgeBase", "Recommendation", "default_knowledge_base", "load_knowledge_base", "recommend"]
