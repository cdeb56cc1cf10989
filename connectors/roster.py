"""The ``roster`` source: the school's MIS export (CSV) of pupils on roll.

Every MIS names its columns differently (SIMS, Arbor, Bromcom...), so the
configuration maps each field to a column heading. A heading that the mapping
names but the file lacks is an error on line 1; a cell that cannot be read
(a bad date, "maybe" for consent) is an error with its line, because a pupil
silently dropped from the roster would never be reported as missing an account.
A blank cell is unknown (``None``), never "no".

Cells are data: a name like ``=HYPERLINK(...)`` or ``<script>`` is kept exactly
as written; escaping is the reports' job.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from enforcer.model.errors import InputError, file_error
from enforcer.model.values import RosterEntry
from enforcer.sources.interface import BuildContext, CheckResult


class Columns(BaseModel):
    """Column headings in the export for each roster field; ``null`` = the export has none."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    pupil_id: str = "UPN"
    given_name: str | None = "Forename"
    family_name: str | None = "Surname"
    date_of_birth: str | None = "DOB"
    year_group: str | None = "Year"
    on_roll: str | None = "On Roll"
    internet_consent: str | None = "Internet Consent"
    username: str | None = None


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    path: str
    """The CSV file, relative to the configuration file's folder."""
    columns: Columns = Columns()
    date_formats: list[str] = Field(default_factory=lambda: ["%d/%m/%Y", "%Y-%m-%d"], min_length=1)
    """Tried in order; UK MIS exports write day/month/year."""
    true_values: list[str] = Field(default_factory=lambda: ["yes", "y", "true", "1", "current", "on roll"])
    false_values: list[str] = Field(
        default_factory=lambda: ["no", "n", "false", "0", "left", "leaver", "off roll"]
    )
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    encoding: str = "utf-8-sig"
    """``utf-8-sig`` also reads the byte-order mark Excel writes."""


_NURSERY = {"n1": -2, "n2": -1, "nursery": -1, "n": -1, "nur": -1}
_RECEPTION = {"r", "rec", "reception", "year r", "yr r", "yr"}
_YEAR = re.compile(r"^(?:year|yr|y)?\s*(\d{1,2})$", re.IGNORECASE)


def parse_year(text: str) -> int:
    """'N1' -> -2, 'N2'/'Nursery' -> -1, 'R'/'Reception' -> 0, 'Year 3'/'Y3'/'3' -> 3."""
    key = " ".join(text.casefold().split())
    if key in _NURSERY:
        return _NURSERY[key]
    if key in _RECEPTION:
        return 0
    m = _YEAR.match(key)
    if not m:
        raise ValueError(f"year group {text!r} is not a year (expected e.g. Reception, Year 3, Y3, 3, N2)")
    return int(m.group(1))


class RosterReader:
    def __init__(self, name: str, path: Path, settings: Settings) -> None:
        self.name, self.path, self.s = name, path, settings
        self._true = {v.casefold() for v in settings.true_values}
        self._false = {v.casefold() for v in settings.false_values}

    def _bool(self, text: str, what: str) -> bool:
        key = text.strip().casefold()
        if key in self._true:
            return True
        if key in self._false:
            return False
        raise ValueError(
            f"{what} {text!r} is neither yes nor no "
            f"(true: {', '.join(self.s.true_values)}; false: {', '.join(self.s.false_values)})"
        )

    def _date(self, text: str) -> date:
        for fmt in self.s.date_formats:
            try:
                return datetime.strptime(text.strip(), fmt).date()
            except ValueError:
                continue
        raise ValueError(f"date of birth {text!r} does not match {' or '.join(self.s.date_formats)}")

    def rows(self) -> Iterator[RosterEntry]:
        where = str(self.path)
        try:
            fh = self.path.open(encoding=self.s.encoding, newline="")
        except OSError as exc:
            raise file_error(exc, self.path, "roster file") from None
        except LookupError:
            raise InputError(f"unknown encoding {self.s.encoding!r}", where) from None
        line = 1
        with fh:
            reader = csv.reader(fh, delimiter=self.s.delimiter, strict=True)
            try:
                header = next(reader, None)
                if header is None:
                    raise InputError("roster file is empty (expected a header row)", where, 1)
                index = self._index(header, where)
                seen: dict[str, int] = {}
                line = reader.line_num + 1
                for row in reader:
                    if any(cell.strip() for cell in row):
                        yield self._entry(row, index, header, seen, where, line)
                    line = reader.line_num + 1
            except UnicodeDecodeError:
                raise InputError(f"not valid {self.s.encoding} text", where, line) from None
            except csv.Error as exc:
                raise InputError(f"malformed CSV: {exc}", where, line) from None

    def _index(self, header: list[str], where: str) -> dict[str, int]:
        names = [h.strip() for h in header]
        folded = [h.casefold() for h in names]
        index: dict[str, int] = {}
        for field, column in self.s.columns.model_dump().items():
            if column is None:
                continue
            try:
                index[field] = folded.index(column.strip().casefold())
            except ValueError:
                raise InputError(
                    f"column {column!r} (for {field}) is not in the header; the header has: "
                    f"{', '.join(repr(n) for n in names)}",
                    where,
                    1,
                ) from None
        return index

    def _entry(
        self,
        row: list[str],
        index: dict[str, int],
        header: list[str],
        seen: dict[str, int],
        where: str,
        line: int,
    ) -> RosterEntry:
        if len(row) != len(header):
            raise InputError(f"row has {len(row)} cells but the header has {len(header)}", where, line)

        def cell(field: str) -> str | None:
            i = index.get(field)
            if i is None:
                return None
            value = row[i].strip()
            return value or None

        pupil_id = cell("pupil_id")
        if pupil_id is None:
            raise InputError(f"no pupil id (column {self.s.columns.pupil_id!r})", where, line)
        if pupil_id in seen:
            raise InputError(
                f"pupil id {pupil_id!r} appears twice (first on line {seen[pupil_id]})", where, line
            )
        seen[pupil_id] = line
        try:
            dob, year, on_roll, consent = (
                cell("date_of_birth"),
                cell("year_group"),
                cell("on_roll"),
                cell("internet_consent"),
            )
            return RosterEntry(
                source=self.name,
                pupil_id=pupil_id,
                given_name=cell("given_name"),
                family_name=cell("family_name"),
                date_of_birth=self._date(dob) if dob is not None else None,
                year_group=parse_year(year) if year is not None else None,
                on_roll=self._bool(on_roll, "on roll") if on_roll is not None else None,
                internet_consent=self._bool(consent, "internet consent") if consent is not None else None,
                username=cell("username"),
            )
        except ValueError as exc:
            raise InputError(str(exc), where, line) from None


class RosterSource:
    type = "roster"

    def __init__(self, name: str, path: Path, settings: Settings) -> None:
        self.name = name
        self.path = path
        self.settings = settings

    def collect(self) -> Iterator[RosterEntry]:
        yield from RosterReader(self.name, self.path, self.settings).rows()

    def check(self) -> list[CheckResult]:
        """Every row, not just the header: a bad row fails the run, so it should fail here first."""
        n = sum(1 for _ in self.collect())
        return [CheckResult("roster file", True, f"MIS roster {self.path.name}: {n} pupils")]


def build(name: str, settings: Settings, ctx: BuildContext) -> RosterSource:
    path = Path(settings.path).expanduser()
    return RosterSource(name, path if path.is_absolute() else ctx.base_dir / path, settings)
