"""The search-space model and its scikit-optimize conversions (skopt imported only when used)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from advisor.errors import MissingDependencyError


class Dimension(BaseModel):
    """One search-space dimension (scikit-optimize vocabulary)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    name: str
    type: Literal["real", "integer", "categorical"]
    low: float | int | None = None
    high: float | int | None = None
    prior: Literal["uniform", "log-uniform"] | None = None
    categories: tuple[Any, ...] | None = None


def _skopt() -> Any:
    try:
        import skopt.space
    except ImportError:
        raise MissingDependencyError("scikit-optimize", "search", "the search space") from None
    return skopt.space


def to_skopt_dimensions(dimensions: Iterable[Dimension]) -> list[Any]:
    """`Real` / `Integer` / `Categorical`, named, with the recommended priors."""
    space = _skopt()
    out = []
    for dim in dimensions:
        if dim.type == "categorical":
            out.append(space.Categorical(list(dim.categories or ()), name=dim.name))
        elif dim.type == "integer":
            out.append(space.Integer(int(dim.low), int(dim.high), prior=dim.prior, name=dim.name))
        else:
            out.append(space.Real(float(dim.low), float(dim.high), prior=dim.prior, name=dim.name))
    return out


def plain(value: Any) -> Any:
    """numpy scalars (what skopt hands back) to plain Python, so JSON and YAML accept them."""
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    return value


def point_to_config(
    dimensions: Iterable[Dimension], point: Iterable[Any], base: Mapping[str, Any]
) -> dict[str, Any]:
    """Overlay a point sampled by skopt onto the starting config."""
    config = dict(base)
    for dim, value in zip(dimensions, point, strict=True):
        config[dim.name] = plain(value)
    return config


def config_to_point(dimensions: Iterable[Dimension], config: Mapping[str, Any]) -> list[Any]:
    """The starting config as a skopt point (x0): every default lies inside its dimension."""
    return [config[dim.name] for dim in dimensions]
