"""What the user states about the project: the frozen profile model, its loader and its checks."""

from advisor.profile.model import Profile, load_profile, parse_profile

__all__ = ["Profile", "load_profile", "parse_profile"]
