"""Vectorised row checks: each check returns parsed values and records the rows that fail it.

A failing row is reported once per problem (row number, column, reason) and goes to the
quarantine table with its raw content; the rest of the batch goes on.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from pipelines.readers import ROW

ICT_OFFSET = pd.Timedelta(hours=7)
_OFFSET_PATTERN = r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$"
PROBLEM_COLUMNS = ["row_number", "column_name", "reason", "raw"]
_TRUE = {"true", "1", "yes", "y", "t", "online"}
_FALSE = {"false", "0", "no", "n", "f", "offline"}


def blank(values: pd.Series) -> pd.Series:
    """True where the cell is empty (missing, NaN or only spaces)."""
    missing = values.isna()
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        missing |= values.astype("string").str.strip().fillna("").eq("")
    return missing.astype(bool)


def _cell_text(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code typed as a number in Excel: 29272.0 -> "29272"
    return value


def text(values: pd.Series) -> pd.Series:
    """Cells as stripped strings (object dtype), empty cells as None."""
    if values.dtype == object or pd.api.types.is_float_dtype(values):
        values = values.map(_cell_text, na_action="ignore")
    strings = values.astype("string").str.strip()
    return strings.astype(object).where(~blank(values), None)


def per_distinct(values: pd.Series, convert: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """`convert` applied once per distinct value (an element-wise function): feeds repeat the
    same timestamps and ids across millions of rows, so this is where their parsing cost goes."""
    if not isinstance(values.dtype, pd.StringDtype):
        return convert(values)  # object cells: 1, 1.0 and True hash alike but convert differently
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if len(uniques) * 2 > len(values):
        return convert(values)
    distinct = pd.Series(uniques).reindex(range(len(uniques) + 1))  # the last one is the missing value
    converted = convert(distinct)
    codes = np.where(codes < 0, len(uniques), codes)
    return pd.Series(converted.to_numpy()[codes], index=values.index, dtype=converted.dtype)


def to_ict(values: pd.Series) -> pd.Series:
    """Timestamps as naive ICT: offsets converted to UTC+7, values without one taken as ICT. NaT if unparseable."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").dt.tz_localize(None) + ICT_OFFSET
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.astype("datetime64[us]")
    return per_distinct(values, _parse_ict)


def _parse_ict(values: pd.Series) -> pd.Series:
    strings = values.map(str, na_action="ignore").astype("string").str.strip().fillna("")
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    with_offset = strings.str.contains(_OFFSET_PATTERN, regex=True).astype(bool)
    local = strings[~with_offset & strings.ne("").astype(bool)]
    if len(local):
        result[local.index] = pd.to_datetime(local, format="ISO8601", errors="coerce")
    aware = strings[with_offset]
    if len(aware):
        parsed = pd.to_datetime(aware, format="ISO8601", errors="coerce", utc=True)
        result[aware.index] = parsed.dt.tz_localize(None) + ICT_OFFSET
    return result


def to_bool(values: pd.Series) -> pd.Series:
    """Booleans from bool, 0/1 or true/false/yes/no text; None where not one of those."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype(object)
    words = values.astype("string").str.strip().str.lower()
    return pd.Series(np.where(words.isin(_TRUE), True, np.where(words.isin(_FALSE), False, None)),
                     index=values.index, dtype=object)


def _sort_key(values: pd.Series) -> np.ndarray | None:
    """Integers ordered like the values, or None when the values have none (or missing cells)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        return None if (codes < 0).any() else codes
    if pd.api.types.is_datetime64_dtype(values) and not values.isna().any():
        return values.to_numpy().view("int64")
    return None


def _strictly_increasing(keys: list[pd.Series]) -> bool:
    """True when the rows are in strictly increasing order of the keys, either the last key or
    the first one most significant (time-major or id-major feeds): then no two rows share a
    key, proven in a linear pass instead of hashing every row."""
    if not keys or len(keys[0]) < 2:
        return True
    ints = [_sort_key(key) for key in keys]
    if any(values is None for values in ints):
        return False
    steps = [np.diff(values) for values in ints]
    for order in (steps[::-1], steps):
        increasing = np.zeros(len(keys[0]) - 1, dtype=bool)
        equal_so_far = np.ones(len(keys[0]) - 1, dtype=bool)
        for step in order:
            increasing |= equal_so_far & (step > 0)
            equal_so_far &= step == 0
        if increasing.all():
            return True
    return False


class Checker:
    """Collects the problems of one table; `valid()` is the table without the failing rows."""

    def __init__(self, table: pd.DataFrame) -> None:
        self.table = table
        self._problems: list[pd.DataFrame] = []

    def flag(self, mask: pd.Series | np.ndarray, column: str, reason: str) -> None:
        mask = mask.fillna(False).astype(bool).to_numpy() if isinstance(mask, pd.Series) else mask.astype(bool)
        if mask.any():
            rows = self.table.index[mask]
            self._problems.append(pd.DataFrame({"index": rows, "column_name": column, "reason": reason}))

    def required(self, column: str) -> pd.Series:
        """The column as text; empty cells are flagged."""
        if column not in self.table.columns:
            self.flag(pd.Series(True, index=self.table.index), column, f"missing {column}")
            return pd.Series(None, index=self.table.index, dtype=object)
        values = self.table[column]
        self.flag(blank(values), column, f"missing {column}")
        return text(values)

    def required_category(self, column: str) -> pd.Series:
        """Like `required`, as a categorical: for id columns of millions of rows with few distinct values."""
        if column not in self.table.columns:
            return self.required(column).astype("category")
        values = self.table[column]
        if isinstance(values.dtype, pd.StringDtype):  # cleaned once per distinct raw text
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            distinct = pd.Series(uniques).reindex(range(len(uniques) + 1))  # the last one is the missing value
            clean_codes, categories = pd.factorize(text(distinct), use_na_sentinel=True)
            codes = clean_codes[np.where(codes < 0, len(uniques), codes)]
        else:  # object cells: 1, 1.0 and True hash alike but read differently
            codes, categories = pd.factorize(text(values), use_na_sentinel=True)
        self.flag(codes < 0, column, f"missing {column}")
        return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype=object)),
                         index=values.index)

    def optional(self, column: str) -> pd.Series:
        if column not in self.table.columns:
            return pd.Series(None, index=self.table.index, dtype=object)
        return text(self.table[column])

    def timestamp(self, column: str, required: bool = True) -> pd.Series:
        if column not in self.table.columns:
            if required:
                self.flag(pd.Series(True, index=self.table.index), column, f"missing {column}")
            return pd.Series(pd.NaT, index=self.table.index, dtype="datetime64[us]")
        values = self.table[column]
        empty = blank(values)
        parsed = to_ict(values)
        if required:
            self.flag(empty, column, f"missing {column}")
        self.flag(parsed.isna() & ~empty, column, f"{column} is not a date/time")
        return parsed

    def number(self, column: str, required: bool = True, low: float | None = None,
               high: float | None = None) -> pd.Series:
        if column not in self.table.columns:
            if required:
                self.flag(pd.Series(True, index=self.table.index), column, f"missing {column}")
            return pd.Series(np.nan, index=self.table.index, dtype="float64")
        values = self.table[column]
        empty = blank(values)
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            parsed = values.astype("float64")
        else:
            parsed = pd.to_numeric(values.astype("string").str.strip(), errors="coerce").astype("float64")
        if required:
            self.flag(empty, column, f"missing {column}")
        bad = parsed.isna() | ~np.isfinite(parsed.fillna(0))
        self.flag(bad & ~empty, column, f"{column} is not a number")
        if low is not None or high is not None:
            outside = parsed.notna() & ((parsed < low if low is not None else False)
                                        | (parsed > high if high is not None else False))
            self.flag(outside, column, f"{column} out of range [{low}, {high}]")
        return parsed

    def boolean(self, column: str) -> pd.Series:
        values = self.table[column]
        parsed = to_bool(values)
        empty = blank(values)
        self.flag(empty, column, f"missing {column}")
        self.flag(parsed.isna() & ~empty, column, f"{column} is not true/false")
        return parsed

    def choice(self, values: pd.Series, column: str, allowed: Iterable[str]) -> pd.Series:
        """Lower-cased values; those not in `allowed` are flagged."""
        allowed = set(allowed)
        lowered = values.astype("string").str.lower()
        self.flag(values.notna() & ~lowered.isin(allowed), column,
                  f"{column} not one of {'|'.join(sorted(allowed))}")
        return lowered.astype(object).where(values.notna(), None)

    def known(self, values: pd.Series, column: str, known: Iterable[str], what: str | None = None) -> None:
        self.flag(values.notna() & ~values.isin(set(known)), column, f"unknown {what or column}")

    def duplicates(self, keys: list[pd.Series], column: str) -> None:
        """Flag every repeat of the same natural key after its first occurrence in the file."""
        if _strictly_increasing(keys):
            return  # the usual feed: ordered by time (and id), so no key can repeat
        frame = pd.concat([key.rename(str(i)) for i, key in enumerate(keys)], axis=1)
        self.flag(frame.duplicated(keep="first"), column, "duplicate row in the file")

    def failed_index(self) -> pd.Index:
        if not self._problems:
            return pd.Index([])
        return pd.Index(pd.concat(self._problems)["index"].unique())

    def valid(self) -> pd.Series:
        """Boolean mask of the rows without any problem."""
        return ~self.table.index.isin(self.failed_index())

    def problems(self) -> pd.DataFrame:
        """row_number, column_name, reason, raw: one row per problem, in file order."""
        if not self._problems:
            return pd.DataFrame(columns=PROBLEM_COLUMNS)
        problems = pd.concat(self._problems, ignore_index=True)
        source = self.table.loc[problems["index"]]
        raw = source.drop(columns=[ROW], errors="ignore").astype("string").to_json(
            orient="records", lines=True, force_ascii=False).splitlines()
        rows = source[ROW].to_numpy() if ROW in source.columns else problems["index"].to_numpy() + 1
        result = pd.DataFrame({"row_number": rows, "column_name": problems["column_name"],
                               "reason": problems["reason"], "raw": raw})
        return result.sort_values(["row_number", "column_name"], kind="stable").reset_index(drop=True)
