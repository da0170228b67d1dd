"""The part of the area tree a user may see."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    province_code: str
    area_keys: frozenset[str] | None = None  # None: the whole province

    def area_filter(self, column: str) -> tuple[str, list]:
        """SQL condition and parameters restricting `column` to this scope."""
        if self.area_keys is None:
            return "TRUE", []
        return f"{column} IN (SELECT unnest(?::VARCHAR[]))", [sorted(self.area_keys)]
