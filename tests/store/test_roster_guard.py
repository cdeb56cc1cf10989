"""A roster cut short must never fix anything (hardening issue, items 1 and 2).

CSV has no end marker: an MIS export that dies after half the pupils reads as a shorter,
complete roll. The run compares each source's roll with the last complete run's and treats a
drop beyond ``roster.max_drop`` as a failed source (incomplete run, nothing fixed) until the
user confirms with ``--accept-roster-drop``. A roster that failed or was not selected at all
must not fix pupil findings either.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from enforcer.cli.main import main

AS_OF = "2026-03-01"


@pytest.fixture()
def school(tmp_path: Path) -> Path:
    """A directory snapshot (accounts, devices) and an MIS roster CSV, both from the demo school."""
    everything = tmp_path / "all.jsonl"
    assert main(["snapshot", "export", "--output", str(everything), "--as-of", AS_OF]) == 0
    lines = [json.loads(line) for line in everything.read_text(encoding="utf-8").splitlines()]
    header, body = lines[0], lines[1:-1]
    directory = [r for r in body if r["kind"] != "pupil"]
    with (tmp_path / "dir.jsonl").open("w", encoding="utf-8") as fh:
        for rec in [header, *directory, {"kind": "end", "records": len(directory)}]:
            fh.write(json.dumps(rec) + "\n")
    pupils = [r for r in body if r["kind"] == "pupil"]
    with (tmp_path / "roll.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["UPN", "Forename", "Surname", "DOB", "Year", "On Roll", "Internet Consent", "Login"])
        for p in pupils:
            out.writerow(
                [
                    p["pupil_id"],
                    p.get("given_name") or "",
                    p.get("family_name") or "",
                    p.get("date_of_birth") or "",
                    _year(p.get("year_group")),
                    "Yes" if p.get("on_roll") else "No",
                    "Yes" if p.get("internet_consent") else "No",
                    p.get("username") or "",
                ]
            )
    cfg = tmp_path / "enforcer.yaml"
    cfg.write_text(
        "school: {name: Demo Primary School}\n"
        "sources:\n"
        "  - {name: dir, type: snapshot, path: dir.jsonl}\n"
        "  - {name: mis, type: roster, path: roll.csv, columns: {username: Login}}\n",
        encoding="utf-8",
    )
    return cfg


def _year(y: int | None) -> str:
    return "" if y is None else {0: "Reception", -1: "N2", -2: "N1"}.get(y, f"Year {y}")


def _run(cfg: Path, *extra: str) -> int:
    return main(
        ["-q", "run", "--config", str(cfg), "--as-of", AS_OF, "--reports-dir", str(cfg.parent / "r"), *extra]
    )


def _last(cfg: Path) -> dict[str, object]:
    from enforcer.config import load_config
    from enforcer.store import open_store, runs

    with open_store(load_config(str(cfg))) as store:
        row = runs.list_runs(store.db, None, 1)[0]
        closed = store.db.one("SELECT COUNT(*) AS n FROM findings WHERE resolved IS NOT NULL")
        return {
            "state": row.state,
            "reason": row.reason,
            "fixed": row.changes["fixed"],
            "closed": closed["n"] if closed else 0,
        }


def _cut(cfg: Path, keep: int) -> None:
    roll = cfg.parent / "roll.csv"
    lines = roll.read_text(encoding="utf-8").splitlines(keepends=True)
    roll.write_text("".join(lines[: keep + 1]), encoding="utf-8")


def test_a_roster_cut_at_a_row_boundary_fixes_nothing_until_confirmed(school: Path) -> None:
    assert _run(school) == 1
    before = _last(school)
    assert before["state"] == "complete"
    rows = len((school.parent / "roll.csv").read_text(encoding="utf-8").splitlines()) - 1
    _cut(school, rows // 2)
    assert _run(school) == 3
    cut = _last(school)
    assert cut["state"] == "incomplete" and "mis" in str(cut["reason"])
    assert cut["fixed"] == 0 and cut["closed"] == 0
    assert _run(school, "--accept-roster-drop") in (0, 1)
    confirmed = _last(school)
    assert confirmed["state"] == "complete"


def test_a_small_change_in_the_roll_is_ordinary(school: Path) -> None:
    assert _run(school) == 1
    rows = len((school.parent / "roll.csv").read_text(encoding="utf-8").splitlines()) - 1
    _cut(school, rows - 3)
    assert _run(school) == 1
    assert _last(school)["state"] == "complete"


@pytest.mark.parametrize("how", ["fails", "not selected"])
def test_a_roster_not_read_fixes_no_pupil_finding(school: Path, how: str) -> None:
    assert _run(school) == 1
    assert _last(school)["state"] == "complete"
    if how == "fails":
        (school.parent / "roll.csv").write_bytes(b"\xff\xfe not a csv \x00")
        assert _run(school) == 3
    else:
        assert _run(school, "--source", "dir") == 1
    after = _last(school)
    assert after["fixed"] == 0 and after["closed"] == 0
