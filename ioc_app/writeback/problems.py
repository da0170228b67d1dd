"""Problems found in entered or uploaded figures, each naming where it is and why."""
from __future__ import annotations

from dataclasses import dataclass

from ioc_app.errors import IocError


@dataclass(frozen=True)
class Problem:
    """One reason a figure or a file is refused (or, with `blocking=False`, only flagged).

    `row` and `column` are the ones a person sees: the spreadsheet's row number and column
    letter for an upload, the indicator code and category code for a cell on the page."""

    reason: str
    file: str | None = None
    sheet: str | None = None
    row: int | str | None = None
    column: str | None = None
    blocking: bool = True

    def __str__(self) -> str:
        where = [part for part in (
            self.file,
            f"sheet {self.sheet}" if self.sheet else None,
            f"row {self.row}" if self.row is not None else None,
            f"column {self.column}" if self.column else None,
        ) if part]
        return f"{', '.join(where)}: {self.reason}" if where else self.reason


class FiguresRefused(IocError):
    """Figures (typed or uploaded) that cannot be stored; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        count = len(problems)
        first = str(problems[0]) if problems else "no figures"
        more = f" (and {count - 1} more)" if count > 1 else ""
        super().__init__(f"{first}{more}")
