"""End to end through the real CLI: two runs with a change between, the lock, the review queue,
exceptions, a locked or corrupt store, and the digest after a run."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from enforcer.store.lock import RunLock

ROOT = Path(__file__).parents[2]
AS_OF = "2026-11-20"


def cli(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ENFORCER_HOME": str(home), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "enforcer", *args],
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("snap")
    out = cli(d / "unused", "snapshot", "export", "--output", str(d / "school.jsonl"), "--as-of", AS_OF)
    assert out.returncode == 0, out.stderr
    return d / "school.jsonl"


@pytest.fixture()
def school(tmp_path: Path, snapshot: Path) -> Path:
    """A configuration reading a copy of the exported demo school."""
    (tmp_path / "school.jsonl").write_bytes(snapshot.read_bytes())
    cfg = tmp_path / "enforcer.yaml"
    cfg.write_text(
        "school: {name: Demo Primary School}\n"
        "sources:\n  - {name: school, type: snapshot, path: school.jsonl}\n"
        "reports: {dir: reports, formats: [html, json]}\n"
    )
    return cfg


def _db(home: Path):
    import sqlite3

    conn = sqlite3.connect(home / "enforcer.db")
    conn.row_factory = sqlite3.Row
    return conn


def _edit(path: Path, kind: str, subject_id: str, **changes: object) -> None:
    lines = path.read_text().splitlines()
    hits = 0
    for i, line in enumerate(lines):
        rec = json.loads(line)
        if rec.get("kind") == kind and rec.get("id") == subject_id:
            rec.update(changes)
            lines[i] = json.dumps(rec)
            hits += 1
    assert hits == 1
    path.write_text("\n".join(lines) + "\n")


def test_two_runs_with_a_change_report_one_fixed_and_one_new(tmp_path: Path, school: Path) -> None:
    home = tmp_path / "home"
    first = cli(home, "run", "--config", str(school), "--as-of", AS_OF)
    assert first.returncode == 1, first.stderr
    db = _db(home)
    failing = {r["subject_id"]: r for r in db.execute("SELECT * FROM run_findings")}
    per_subject: dict[str, int] = {}
    for r in db.execute("SELECT subject_id FROM run_findings"):
        per_subject[r["subject_id"]] = per_subject.get(r["subject_id"], 0) + 1
    device = next(
        r
        for r in db.execute(
            "SELECT * FROM run_findings WHERE rule = 'computer-encrypted' "
            "AND status = 'fail' ORDER BY subject_id"
        )
        if per_subject[r["subject_id"]] == 1
    )
    accounts = [json.loads(x) for x in (tmp_path / "school.jsonl").read_text().splitlines()[1:]]
    account = next(
        a
        for a in accounts
        if a.get("kind") == "account"
        and a.get("enabled") is True
        and a.get("role") == "staff"
        and a["id"] not in failing
    )
    _edit(tmp_path / "school.jsonl", "device", device["subject_id"], encrypted=True)
    _edit(tmp_path / "school.jsonl", "account", account["id"], reversible_encryption=True)

    second = cli(home, "run", "--config", str(school), "--as-of", AS_OF)
    assert second.returncode == 1, second.stderr
    assert "Since the previous run: 1 new, 1 fixed" in second.stdout
    run2 = db.execute("SELECT * FROM runs ORDER BY started DESC LIMIT 1").fetchone()
    assert (run2["state"], run2["n_new"], run2["n_regressed"], run2["n_fixed"]) == ("complete", 1, 0, 1)
    [new] = db.execute(
        "SELECT * FROM run_findings WHERE run_id = ? AND change = 'new'", (run2["id"],)
    ).fetchall()
    assert (new["rule"], new["subject_id"]) == ("password-stored-non-reversibly", account["id"])
    fixed = db.execute("SELECT * FROM findings WHERE resolved IS NOT NULL").fetchall()
    assert [(f["rule"], f["subject_id"]) for f in fixed] == [("computer-encrypted", device["subject_id"])]
    report = json.loads((tmp_path / "reports" / "enforcer-report.json").read_text())
    assert len(report["history"]["new"]) == 1 and len(report["history"]["fixed"]) == 1
    hist = cli(home, "history", "--config", str(school))
    assert hist.returncode == 0 and hist.stdout.count("complete") == 2


def test_second_run_while_one_is_active_refuses(tmp_path: Path, school: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    with RunLock(home / "enforcer.db.run.lock"):
        out = cli(home, "run", "--config", str(school), "--as-of", AS_OF)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [out.stderr.strip()]
    assert "already in progress" in out.stderr and f"pid {os.getpid()}" in out.stderr
    assert not (tmp_path / "reports").exists()


def test_review_queue_lists_devices_with_owner_and_age(tmp_path: Path, school: Path) -> None:
    home = tmp_path / "home"
    assert cli(home, "run", "--config", str(school), "--as-of", AS_OF).returncode == 1
    out = cli(home, "review", "--config", str(school), "--kind", "device")
    assert out.returncode == 0
    rows = [line.split() for line in out.stdout.splitlines()[1:-1] if line.strip()[:1].isdigit()]
    assert rows and all(r[2] == "device" and r[1].endswith("d") for r in rows)
    owned = [r for r in rows if r[4] != "-"]
    assert owned, "some failing demo devices have an assigned user"
    item = owned[0][0]
    show = cli(home, "review", "--config", str(school), "show", item)
    assert f"owner: {owned[0][4]}" in show.stdout and "open for 0 days" in show.stdout
    assert (
        cli(
            home,
            "review",
            "--config",
            str(school),
            "note",
            item,
            "Ordered a TPM module",
            "--author",
            "contractor",
        ).returncode
        == 0
    )
    mark = cli(home, "review", "--config", str(school), "mark", item, "--by", "contractor")
    assert mark.returncode == 2 and "nothing would ever be done" in mark.stderr  # no device rule acts
    show = cli(home, "review", "--config", str(school), "show", item)
    assert "note (contractor" in show.stdout and "marked for remediation" not in show.stdout
    granted = cli(
        home,
        "review",
        "--config",
        str(school),
        "except",
        item,
        "--reason",
        "Awaiting TPM",
        "--approver",
        "Head teacher",
        "--expires",
        "2099-01-01",
    )
    assert granted.returncode == 0, granted.stderr
    cli(home, "run", "--config", str(school), "--as-of", AS_OF)
    db = _db(home)
    last = db.execute("SELECT * FROM runs ORDER BY started DESC LIMIT 1").fetchone()
    assert last["n_excepted"] == 1 and last["n_fixed"] == 0


def test_exceptions_cli_add_list_remove(tmp_path: Path, school: Path) -> None:
    home = tmp_path / "home"
    add = cli(
        home,
        "exceptions",
        "--config",
        str(school),
        "add",
        "--rule",
        "computer-encrypted",
        "--selector",
        "name=DPS-PC-*",
        "--reason",
        "Suite PCs replaced in January",
        "--approver",
        "Business manager",
        "--expires",
        "2099-01-31",
    )
    assert add.returncode == 0 and "Added exception store:1" in add.stdout
    ls = cli(home, "exceptions", "--config", str(school), "list")
    assert "selector name=DPS-PC-*" in ls.stdout and "(active)" in ls.stdout
    bad = cli(
        home,
        "exceptions",
        "--config",
        str(school),
        "add",
        "--rule",
        "x",
        "--subject",
        "y",
        "--reason",
        "r",
        "--approver",
        "a",
        "--expires",
        "2001-01-01",
    )
    assert bad.returncode == 2 and "in the past" in bad.stderr
    assert cli(home, "exceptions", "--config", str(school), "remove", "1").returncode == 0
    assert "No exceptions." in cli(home, "exceptions", "--config", str(school), "list").stdout


def test_locked_store_is_one_line_exit_2_and_unchanged(tmp_path: Path, school: Path) -> None:
    home = tmp_path / "home"
    assert cli(home, "exceptions", "--config", str(school), "list").returncode == 0  # creates the store
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3,sys,time; c=sqlite3.connect(sys.argv[1], isolation_level=None);"
            "c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(60)",
            str(home / "enforcer.db"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        out = cli(
            home,
            "exceptions",
            "--config",
            str(school),
            "add",
            "--rule",
            "computer-encrypted",
            "--subject",
            "DPS-PC-001",
            "--reason",
            "r",
            "--approver",
            "a",
            "--expires",
            "2099-01-01",
        )
    finally:
        holder.kill()
        holder.wait()
    assert out.returncode == 2 and "locked by another process" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert _db(home).execute("SELECT count(*) FROM exceptions").fetchone()[0] == 0


def test_corrupt_store_is_one_line_exit_2_and_untouched(tmp_path: Path, school: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    (home / "enforcer.db").write_bytes(os.urandom(4096))
    before = hashlib.sha256((home / "enforcer.db").read_bytes()).hexdigest()
    for args in (("history",), ("run", "--as-of", AS_OF)):
        out = cli(home, *args, "--config", str(school))
        assert out.returncode == 2 and "corrupt" in out.stderr
        assert len(out.stderr.strip().splitlines()) == 1
    assert hashlib.sha256((home / "enforcer.db").read_bytes()).hexdigest() == before
    assert not (tmp_path / "reports").exists()


@pytest.mark.smtp
def test_run_sends_the_digest(tmp_path: Path, school: Path, smtp_server) -> None:
    home = tmp_path / "home"
    school.write_text(
        school.read_text() + f"email: {{enabled: true, host: 127.0.0.1, port: {smtp_server.port}, "
        "starttls: false, recipients: [eso@school.example]}\n"
    )
    out = cli(home, "run", "--config", str(school), "--as-of", AS_OF)
    assert out.returncode == 1 and "digest sent to eso@school.example" in out.stderr
    [env] = smtp_server.messages
    assert b"Demo Primary School" in env.original_content and b"enforcer-" in env.original_content


def test_exceptions_file_named_in_the_config(tmp_path: Path, school: Path) -> None:
    home = tmp_path / "home"
    exc = tmp_path / "school.exceptions.yaml"
    exc.write_text(
        "exceptions:\n  - rule: computer-encrypted\n    selector: {kind: device, name: 'DPS-PC-*'}\n"
        "    reason: Suite PCs replaced in January\n    approver: Business manager\n"
        "    expires: 2099-01-31\n"
    )
    school.write_text(school.read_text() + "exceptions: school.exceptions.yaml\n")
    assert cli(home, "run", "--config", str(school), "--as-of", AS_OF).returncode == 1
    report = json.loads((tmp_path / "reports" / "enforcer-report.json").read_text())
    excepted = [f for f in report["findings"] if f["status"] == "excepted"]
    assert excepted and all(f["rule"] == "computer-encrypted" for f in excepted)
    assert all(f["subject"]["name"].startswith("DPS-PC-") for f in excepted)
    exc.write_text(exc.read_text().replace("rule: computer-encrypted", "rule: no-such-rule"))
    bad = cli(home, "run", "--config", str(school), "--as-of", AS_OF)
    assert bad.returncode == 2 and f"{exc}:2:" in bad.stderr and "no rule 'no-such-rule'" in bad.stderr
    last = _db(home).execute("SELECT state, reason FROM runs ORDER BY started DESC LIMIT 1").fetchone()
    assert last["state"] == "incomplete" and "no-such-rule" in last["reason"]


def test_two_homes_sharing_one_store_share_its_lock(tmp_path: Path, school: Path) -> None:
    """The lock lives with the store: a second home pointing at the same store file is refused
    while the first holds it, and never marks the first's live run interrupted."""
    from enforcer.config import load_config
    from enforcer.store import run_lock

    shared = tmp_path / "shared" / "enforcer.db"
    cfg = tmp_path / "shared.yaml"
    cfg.write_text(
        school.read_text(encoding="utf-8") + f"store: {{url: 'sqlite:///{shared}'}}\n", encoding="utf-8"
    )
    first, second = tmp_path / "home-a", tmp_path / "home-b"
    assert cli(first, "run", "--config", str(cfg), "--as-of", AS_OF).returncode == 1
    os.environ["ENFORCER_HOME"] = str(first)
    with run_lock(load_config(str(cfg))):
        out = cli(second, "run", "--config", str(cfg), "--as-of", AS_OF)
    assert out.returncode == 2 and "already in progress" in out.stderr, out.stderr
    assert (shared.parent / "enforcer.db.run.lock").exists()
