"""Generated pupil passwords: age-appropriate, random, and always accepted by the pack."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from enforcer.model.errors import UsageError
from enforcer.passwords import cohort
from enforcer.passwords.check import check_password
from enforcer.passwords.generate import MAX_YEAR, MIN_YEAR, generate, shape_for_year, word_list
from enforcer.passwords.policy import PasswordPolicy

YEARS = range(MIN_YEAR, MAX_YEAR + 1)


@pytest.mark.parametrize("year", YEARS)
@pytest.mark.parametrize("policy_name", ["primary", "ncsc", "school"])
def test_every_year_passes_the_pack(request: pytest.FixtureRequest, policy_name: str, year: int) -> None:
    policy: PasswordPolicy = request.getfixturevalue(policy_name)
    for _ in range(15):
        password = generate(year, policy)
        assert check_password(password, policy).accepted, password


def test_young_pupils_get_two_short_words_and_two_digits(primary: PasswordPolicy) -> None:
    for _ in range(30):
        *words, number = generate(1, primary).split("-")
        assert len(words) == 2 and all(len(w) <= 5 for w in words)
        assert len(number) == 2 and number.isdigit()
    assert shape_for_year(6).words > shape_for_year(1).words


def test_passwords_are_not_repeated(primary: PasswordPolicy) -> None:
    batch = [generate(5, primary) for _ in range(200)]
    assert len(set(batch)) > 190


def test_word_list_is_plain_and_child_sized() -> None:
    words = word_list()
    assert len(words) >= 400 and len(set(words)) == len(words)
    assert all(w.isalpha() and w.islower() and 3 <= len(w) <= 8 for w in words)


def test_impossible_rules_are_a_usage_error() -> None:
    with pytest.raises(UsageError):
        generate(1, PasswordPolicy(min_length=8, max_length=9, min_score=4))
    with pytest.raises(UsageError):
        shape_for_year(14)


def test_roster_cohort_is_written_owner_only_and_atomically(tmp_path: Path, primary: PasswordPolicy) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "UPN,Forename,Surname,Year,Username,DOB,On Roll\n"
        "A100,Robin,Tulip,Year 1,rtulip,01/09/2018,Yes\n"
        "A101,Ava,Khan,Y5,akhan,02/03/2015,Yes\n"
        "A102,Left,Already,Y5,lalready,02/03/2015,No\n"
        "A103,Zed,Otter,Reception,zotter,12/12/2019,Yes\n",
        encoding="utf-8",
    )
    pupils = cohort.read_roster(roster)
    assert [p.pupil_id for p in pupils] == ["A100", "A101", "A103"]
    issued = cohort.issue(pupils, primary)
    out = tmp_path / "out" / "cohort.csv"
    out.parent.mkdir()
    os.umask(0o022)
    cohort.write_private_csv(out, issued)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert sorted(p.name for p in out.parent.iterdir()) == ["cohort.csv"]  # no temporary file left
    rows = out.read_text(encoding="utf-8").splitlines()
    assert rows[0] == "pupil_id,username,year_group,password"
    for line, item in zip(rows[1:], issued, strict=True):
        assert line.endswith(item.password)
        user = cohort.UserDetails(username=item.pupil.username, name=item.pupil.name)
        assert check_password(item.password, primary, user).accepted
        for part in (item.pupil.name or "").lower().split():
            assert part not in item.password.lower()  # Robin Tulip never gets "Robin" or "Tulip"
    with pytest.raises(UsageError):
        cohort.write_private_csv(out, issued)


def test_simple_roster_without_year_needs_year(tmp_path: Path, primary: PasswordPolicy) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text("pupil_id,username\nP1,pone\nP2,ptwo\n", encoding="utf-8")
    pupils = cohort.read_roster(roster)
    with pytest.raises(UsageError):
        cohort.issue(pupils, primary)
    assert len(cohort.issue(pupils, primary, year=2)) == 2
