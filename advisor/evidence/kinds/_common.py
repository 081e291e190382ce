"""What the probe kinds share: frozen models, the options every probe takes, table rows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from advisor.profile.model import Choice, OptimizerName

if TYPE_CHECKING:
    from rich.table import Table

Seed = Annotated[int, Field(ge=0, le=2**31 - 1, description="Same seed, same result.")]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class ProbeOptions(Frozen):
    optimizer: Choice[OptimizerName] = Field("adam", description="Canonical optimizer name.")
    seed: Seed = 0


def key_value_table(rows: Iterable[tuple[str, Any]]) -> Table:
    """Two columns, what and value; rows whose value is None are left out."""
    from rich.table import Table

    table = Table(show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    for name, value in rows:
        if value is not None:
            table.add_row(name, f"{value:.3g}" if isinstance(value, float) else str(value))
    return table
