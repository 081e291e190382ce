"""The knowledge base: YAML rule files shipped as package data (installed as advisor_rules)."""
