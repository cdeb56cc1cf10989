"""The primary-school pack over the test school, end to end through ``enforcer audit``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from enforcer.cli.main import main
from tests.connectors.adtools import DC
from tests.connectors.school import SCHOOL_OU
from tests.services.samba import ADMIN_DN, ADMIN_PASSWORD, CA_FILE, HOST

pytestmark = pytest.mark.samba

CONFIG = f"""\
version: 1
school: {{name: Test Primary}}
policy: primary-school
identity:
  roles:
    - {{role: staff, group: Staff}}
    - {{role: staff, group: "Support (Temp) *"}}
    - {{role: staff, attribute: employeeType, value: staff}}
    - {{role: pupil, ou: "OU=Pupils,{SCHOOL_OU}"}}
    - {{role: volunteer, ou: "OU=Volunteers,{SCHOOL_OU}"}}
    - {{role: service, ou: "OU=Service,{SCHOOL_OU}"}}
  year_group: {{attribute: description, pattern: "Year (\\\\d+)"}}
sources:
  - name: ad
    type: ad
    host: {HOST}
    tls: ldaps
    ca_file: {CA_FILE}
    bind_dn: {{env: TEST_AD_BIND_DN}}
    bind_password: {{file: bind-password.txt}}
    user_base: "{SCHOOL_OU}"
    computer_base: "OU=Computers,{SCHOOL_OU}"
"""

EXPECTED_FAILING = {
    ("staff-password-max-age", "alice.teacher"),  # 200 days old
    ("staff-password-max-age", "obrien"),  # 100 days old
    ("staff-password-expiry-enabled", "bob.head"),  # DONT_EXPIRE_PASSWORD
    ("staff-password-policy-max-age", "obrien"),  # Support PSO: 365 days
    ("password-required", "frank.ta"),  # PASSWD_NOTREQD
    ("password-stored-non-reversibly", "carol.office"),  # ENCRYPTED_TEXT_PWD_ALLOWED
    ("account-role-known", "zed.unplaced"),
    ("volunteer-account-expires", "victor.volunteer"),  # accountExpires 0x7FFFFFFFFFFFFFFF
    ("volunteer-account-expires", "walt.volunteer"),  # accountExpires 0
    ("leaver-disabled", "dave.leaver"),
    ("pupil-account-year-1-up", "p.reception"),
    ("domain-password-min-length", "school.test"),  # Samba's default 7
    ("computer-encrypted", "PC-PLAIN"),  # no BitLocker recovery object
    ("device-os-up-to-date", "PC-PLAIN"),  # 10.0.19045 < 10.0.22631
}


def test_primary_school_pack_finds_exactly_the_planted_violations(
    samba_dc: DC, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "enforcer.yaml"
    config.write_text(CONFIG)
    (tmp_path / "bind-password.txt").write_text(ADMIN_PASSWORD + "\n")
    monkeypatch.setenv("TEST_AD_BIND_DN", ADMIN_DN)
    out = tmp_path / "report.json"
    code = main(
        ["audit", "--config", str(config), "--source", "ad", "--format", "json", "--output", str(out)]
    )
    report = json.loads(out.read_text())
    failing = {(f["rule"], f["subject"]["name"]) for f in report["findings"] if f["status"] == "fail"}
    assert failing == EXPECTED_FAILING
    assert code == 1  # failing findings, and the source was read completely
    errors = {
        (f["rule"], f["subject"]["name"]): f["message"] for f in report["findings"] if f["status"] == "error"
    }
    assert "only for Windows" in errors[("computer-encrypted", "MAC-01")]
    assert errors[("pupil-account-year-1-up", "p.unknown")].startswith("could not evaluate")


def test_ordinary_bind_turns_bitlocker_and_pso_verdicts_into_explained_errors(
    samba_dc: DC, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.connectors.school import READER_DN, READER_PASSWORD

    config = tmp_path / "enforcer.yaml"
    config.write_text(CONFIG)
    (tmp_path / "bind-password.txt").write_text(READER_PASSWORD)
    monkeypatch.setenv("TEST_AD_BIND_DN", READER_DN)
    out = tmp_path / "report.json"
    main(["audit", "--config", str(config), "--source", "ad", "--format", "json", "--output", str(out)])
    findings = {(f["rule"], f["subject"]["name"]): f for f in json.loads(out.read_text())["findings"]}
    for pc in ("PC-ENC", "PC-PLAIN"):  # never "unencrypted" for lack of rights
        f = findings[("computer-encrypted", pc)]
        assert f["status"] == "error"
        assert "msFVE-RecoveryInformation" in f["message"]
    policy_age = findings[("staff-password-policy-max-age", "obrien")]  # the Support PSO is hidden
    assert policy_age["status"] == "error"
    failing = {k for k, f in findings.items() if f["status"] == "fail"}
    assert failing == EXPECTED_FAILING - {
        ("computer-encrypted", "PC-PLAIN"),
        ("staff-password-policy-max-age", "obrien"),
    }


def test_snapshot_export_round_trips_the_ad_records(
    samba_dc: DC, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connectors.snapshot.source import read_records
    from enforcer.model.values import Account, Device, DomainPolicy

    config = tmp_path / "enforcer.yaml"
    config.write_text(CONFIG)
    (tmp_path / "bind-password.txt").write_text(ADMIN_PASSWORD)
    monkeypatch.setenv("TEST_AD_BIND_DN", ADMIN_DN)
    snap = tmp_path / "ad.snapshot"
    assert (
        main(["-q", "snapshot", "export", "--config", str(config), "--source", "ad", "--output", str(snap)])
        == 0
    )
    records = list(read_records(snap))
    assert sum(isinstance(r, Account) for r in records) == 19
    assert sum(isinstance(r, Device) for r in records) == 5
    policy = next(r for r in records if isinstance(r, DomainPolicy))
    assert policy.fine_grained is not None and len(policy.fine_grained) == 4
    mac = next(r for r in records if isinstance(r, Device) and r.name == "MAC-01")
    assert "only for Windows" in mac.notes["encrypted"]
    erin = next(r for r in records if isinstance(r, Account) and r.username == "erin.new")
    assert (erin.must_change_password, erin.password_last_set) == (True, None)
