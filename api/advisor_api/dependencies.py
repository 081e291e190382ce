"""Request-scoped access to what the app loaded at startup."""

from __future__ import annotations

from fastapi import Request

from advisor import KnowledgeBase


def get_knowledge_base(request: Request) -> KnowledgeBase:
    """The knowledge base loaded once at startup (tests override this dependency)."""
    return request.app.state.knowledge_base
