"""Days elapsed between timestamps, computed alike by every engine the features run on (DuckDB, Spark)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Ibis only for the hints: stages that import this module without building features
    import ibis.expr.types as ir

DAY = 86400.0


def days_between(later: ir.Value, earlier: ir.Value) -> ir.FloatingValue:
    """Whole seconds (Spark's epoch has no fraction of a second), and a float difference before dividing
    (Spark would type the quotient decimal(28,7) and round it)."""
    return (later.epoch_seconds().floor() - earlier.epoch_seconds().floor()).cast("float64") / DAY
