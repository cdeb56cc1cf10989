"""The store: schema, runs, the diff, the tracker, retention and hostile files."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from enforcer.model.errors import StoreError
from enforcer.model.values import Status, SubjectKind
from enforcer.store import open_store, runs
from enforcer.store.schema import LATEST

from .factory import T0, finding, result


def test_new_store_is_private_and_versioned(store, home: Path) -> None:
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "enforcer.db").stat().st_mode) == 0o600
    assert store.db.version() == LATEST
    store.close()
    again = open_store()  # reopening migrates nothing and loses nothing
    assert again.db.version() == LATEST
    again.close()


def test_diff_new_fixed_still_regressed(store) -> None:
    a, b, c = (
        finding("enc", "laptop-1"),
        finding("enc", "laptop-2"),
        finding("mfa", "alice", kind=SubjectKind.ACCOUNT),
    )
    d1 = runs.record_run(store.db, result("r1", [a, b]))
    assert d1.against is None and len(d1.new) == 2
    d2 = runs.record_run(store.db, result("r2", [b, c], day=1))
    assert d2.against == "r1"
    assert [f.fingerprint for f in d2.new] == [c.fingerprint]
    assert [f.fingerprint for f in d2.fixed] == [a.fingerprint]
    assert [f.fingerprint for f in d2.still_failing] == [b.fingerprint]
    d3 = runs.record_run(store.db, result("r3", [a, b, c], day=2))
    assert [f.fingerprint for f in d3.regressed] == [a.fingerprint] and not d3.new
    row = store.db.one("SELECT * FROM findings WHERE fingerprint = ?", (a.fingerprint,))
    assert (
        row["first_seen"] == "2026-11-20T02:00:00.000000Z" and row["opened"] == "2026-11-22T02:00:00.000000Z"
    )
    assert row["resolved"] is None


def test_failed_source_never_turns_findings_fixed(store) -> None:
    ad = finding("pw-age", "bob", kind=SubjectKind.ACCOUNT, source="ad")
    dev = finding("enc", "laptop-1", source="intune")
    runs.record_run(store.db, result("r1", [ad, dev], sources=("ad", "intune")))
    d = runs.record_run(store.db, result("r2", [], day=1, sources=("ad", "intune"), failed=("ad",)))
    assert [f.fingerprint for f in d.unknown] == [ad.fingerprint]
    assert [f.fingerprint for f in d.fixed] == [dev.fingerprint]
    tracked = store.db.one("SELECT resolved FROM findings WHERE fingerprint = ?", (ad.fingerprint,))
    assert tracked["resolved"] is None
    assert runs.get_run(store.db, "r2").state == "incomplete"
    # the next complete run compares against r1, the last complete one
    d3 = runs.record_run(store.db, result("r3", [ad], day=2, sources=("ad", "intune")))
    assert d3.against == "r1" and [f.fingerprint for f in d3.still_failing] == [ad.fingerprint]


def test_error_verdict_is_unknown_not_fixed(store) -> None:
    f = finding("enc", "laptop-1")
    runs.record_run(store.db, result("r1", [f]))
    d = runs.record_run(store.db, result("r2", [finding("enc", "laptop-1", Status.ERROR)], day=1))
    assert not d.fixed and len(d.unknown) == 1


def test_passes_are_counted_not_stored(store) -> None:
    runs.record_run(store.db, result("r1", [finding("enc", "a", Status.PASS), finding("enc", "b")]))
    assert store.db.one("SELECT count(*) AS n FROM run_findings")["n"] == 1
    assert runs.get_run(store.db, "r1").counts == {"pass": 1, "fail": 1, "error": 0, "excepted": 0}


def test_retention_purges_old_history_but_not_open_findings(store) -> None:
    old, kept = finding("enc", "old"), finding("enc", "kept")
    runs.record_run(store.db, result("r1", [old, kept]))
    runs.record_run(store.db, result("r2", [kept], day=1))
    now = T0 + dt.timedelta(days=30)
    out = store.purge(retention_days=10, now=now)
    assert out["runs"] == 2 and out["findings"] == 1
    assert store.db.one("SELECT fingerprint FROM findings")["fingerprint"] == kept.fingerprint


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_corrupt_store_is_refused_and_untouched(home: Path) -> None:
    home.mkdir(mode=0o700)
    db = home / "enforcer.db"
    db.write_bytes(b"this is not a database\n" * 50)
    before = _digest(db)
    with pytest.raises(StoreError, match="corrupt or not an SQLite database"):
        open_store()
    assert _digest(db) == before and sorted(p.name for p in home.iterdir()) == ["enforcer.db"]


def test_truncated_sqlite_is_refused(home: Path) -> None:
    s = open_store()
    runs.record_run(s.db, result("r1", [finding("enc", "a")]))
    s.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    s.close()
    db = home / "enforcer.db"
    raw = db.read_bytes()
    db.write_bytes(raw[:100] + b"\xff" * (len(raw) - 100))
    before = _digest(db)
    with pytest.raises(StoreError, match="corrupt"):
        s = open_store()
        runs.list_runs(s.db)
    assert _digest(db) == before


def test_other_sqlite_database_is_refused(home: Path) -> None:
    home.mkdir(mode=0o700)
    conn = sqlite3.connect(home / "enforcer.db")
    conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not an enforcer store"):
        open_store()


def test_newer_schema_is_refused(store, home: Path) -> None:
    store.db.execute("INSERT INTO schema_version (version) VALUES (99)")
    store.close()
    with pytest.raises(StoreError, match="newer than this enforcer"):
        open_store()


def test_locked_store_gives_one_clear_error_and_writes_nothing(store, home: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3,sys,time; c=sqlite3.connect(sys.argv[1], isolation_level=None);"
            "c.execute('BEGIN IMMEDIATE'); c.execute('INSERT INTO notes (fingerprint, author, text, created) "
            "VALUES (1,1,1,1)'); print('locked', flush=True); time.sleep(30)",
            str(home / "enforcer.db"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        s = open_store(busy_timeout=0.2)
        with pytest.raises(StoreError, match="locked by another process"):
            runs.begin_run(s.db, "r1", "Demo", T0)
        assert runs.get_run(s.db, "r1") is None
        s.close()
    finally:
        holder.kill()
        holder.wait()


def test_run_killed_half_way_leaves_nothing_half_written(store, home: Path) -> None:
    """A child writes half its findings inside the run transaction, then is killed (-9)."""
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_CHILD],
        stdout=subprocess.PIPE,
        text=True,
        cwd=str(Path(__file__).parents[2]),
        env={**os.environ, "ENFORCER_HOME": str(home)},
    )
    try:
        assert child.stdout.readline().strip() == "half-way"
        child.kill()
    finally:
        child.wait()
    assert runs.get_run(store.db, "killed").state == "started"
    for table in ("run_findings", "run_sources", "findings"):  # run_sources were written before the kill
        assert store.db.one(f"SELECT count(*) AS n FROM {table}")["n"] == 0
    runs.begin_run(store.db, "next", "Demo Primary School", T0 + dt.timedelta(days=1))
    killed = runs.get_run(store.db, "killed")
    assert killed.state == "incomplete" and "interrupted" in killed.reason


_KILLED_CHILD = """
import sys, time
from enforcer.store import open_store, runs
from tests.store.factory import T0, finding, result

class Slow(list):
    def __iter__(self):
        for i, f in enumerate(list.__iter__(self)):
            if i == 5:
                print("half-way", flush=True)
                time.sleep(60)
            yield f

s = open_store()
runs.begin_run(s.db, "killed", "Demo Primary School", T0)
res = result("killed", [finding("enc", f"laptop-{i}") for i in range(10)])
object.__setattr__(res, "findings", Slow(res.findings))
runs.record_run(s.db, res)
"""
