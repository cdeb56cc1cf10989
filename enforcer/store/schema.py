"""The store's schema as numbered migrations.

Each migration is a list of statements in portable SQL (ANSI types, ISO-8601 text
timestamps, ``?`` placeholders). The one thing SQLite and PostgreSQL spell
differently, an auto-numbered key, is written ``{serial}`` and filled in by the
dialect. The applied version lives in ``schema_version`` (a table, not SQLite's
``PRAGMA user_version``, so the same mechanism works on PostgreSQL).
Never edit a released migration: add the next one.
"""

from __future__ import annotations

MIGRATIONS: list[list[str]] = [
    # 1: runs, per-run findings, the finding tracker, exceptions, notes, audit log
    [
        """CREATE TABLE runs (
            id VARCHAR(64) PRIMARY KEY,
            school VARCHAR(200) NOT NULL,
            started VARCHAR(32) NOT NULL,
            finished VARCHAR(32),
            as_of VARCHAR(32),
            state VARCHAR(16) NOT NULL,
            reason TEXT,
            pack_name VARCHAR(200),
            pack_version VARCHAR(64),
            subjects INTEGER,
            n_pass INTEGER, n_fail INTEGER, n_error INTEGER, n_excepted INTEGER,
            n_new INTEGER, n_fixed INTEGER, n_regressed INTEGER, n_unknown INTEGER,
            against VARCHAR(64))""",
        "CREATE INDEX runs_school_started ON runs (school, started)",
        """CREATE TABLE run_sources (
            run_id VARCHAR(64) NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            name VARCHAR(64) NOT NULL,
            type VARCHAR(64) NOT NULL,
            ok INTEGER NOT NULL,
            error TEXT,
            counts TEXT,
            PRIMARY KEY (run_id, name))""",
        """CREATE TABLE run_findings (
            run_id VARCHAR(64) NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            fingerprint VARCHAR(64) NOT NULL,
            rule VARCHAR(64) NOT NULL,
            status VARCHAR(16) NOT NULL,
            severity VARCHAR(16) NOT NULL,
            kind VARCHAR(16) NOT NULL,
            subject_id VARCHAR(400) NOT NULL,
            subject_name VARCHAR(400),
            source VARCHAR(64) NOT NULL,
            owner VARCHAR(400),
            title TEXT NOT NULL,
            message TEXT NOT NULL,
            clause TEXT NOT NULL,
            evidence TEXT NOT NULL,
            remediation TEXT NOT NULL,
            exception TEXT,
            change VARCHAR(16),
            PRIMARY KEY (run_id, fingerprint))""",
        "CREATE INDEX run_findings_fp ON run_findings (fingerprint)",
        """CREATE TABLE findings (
            id {serial},
            fingerprint VARCHAR(64) NOT NULL UNIQUE,
            school VARCHAR(200) NOT NULL,
            rule VARCHAR(64) NOT NULL,
            kind VARCHAR(16) NOT NULL,
            subject_id VARCHAR(400) NOT NULL,
            subject_name VARCHAR(400),
            source VARCHAR(64) NOT NULL,
            owner VARCHAR(400),
            first_seen VARCHAR(32) NOT NULL,
            opened VARCHAR(32) NOT NULL,
            last_seen VARCHAR(32) NOT NULL,
            resolved VARCHAR(32),
            last_status VARCHAR(16) NOT NULL,
            last_run VARCHAR(64) NOT NULL,
            marked_at VARCHAR(32),
            marked_by VARCHAR(200))""",
        "CREATE INDEX findings_open ON findings (school, resolved)",
        """CREATE TABLE exceptions (
            id {serial},
            rule VARCHAR(64) NOT NULL,
            fingerprint VARCHAR(64),
            subject VARCHAR(400),
            selector TEXT,
            reason TEXT NOT NULL,
            approver VARCHAR(200) NOT NULL,
            expires VARCHAR(10) NOT NULL,
            created VARCHAR(32) NOT NULL,
            removed VARCHAR(32))""",
        """CREATE TABLE notes (
            id {serial},
            fingerprint VARCHAR(64) NOT NULL,
            author VARCHAR(200) NOT NULL,
            text TEXT NOT NULL,
            created VARCHAR(32) NOT NULL)""",
        "CREATE INDEX notes_fp ON notes (fingerprint)",
        """CREATE TABLE actions (
            id {serial},
            run_id VARCHAR(64),
            fingerprint VARCHAR(64),
            rule VARCHAR(64),
            action VARCHAR(64) NOT NULL,
            kind VARCHAR(16) NOT NULL,
            subject_id VARCHAR(400) NOT NULL,
            subject_name VARCHAR(400),
            source VARCHAR(64) NOT NULL,
            params TEXT NOT NULL,
            mode VARCHAR(16) NOT NULL,
            intent_at VARCHAR(32) NOT NULL,
            outcome VARCHAR(16) NOT NULL,
            outcome_at VARCHAR(32),
            message TEXT,
            previous TEXT,
            new TEXT,
            undo_of INTEGER)""",
        "CREATE INDEX actions_run ON actions (run_id)",
    ],
    # 2: an exception belongs to a school (and optionally a source) and says what it is.
    # School NULL means every school: what every exception meant before, so rows written by
    # `exceptions add` stay as they were granted (`exceptions list` shows them as "every
    # school"). A row for one finding (`review except`, `--fingerprint`) is narrowed to that
    # finding's school, which is exact: the fingerprint was only ever seen in one school.
    [
        "ALTER TABLE exceptions ADD COLUMN school VARCHAR(200)",
        "ALTER TABLE exceptions ADD COLUMN source VARCHAR(64)",
        "ALTER TABLE exceptions ADD COLUMN kind VARCHAR(16) NOT NULL DEFAULT 'accepted-risk'",
        """UPDATE exceptions SET school = (SELECT max(f.school) FROM findings f
            WHERE f.fingerprint = exceptions.fingerprint) WHERE fingerprint IS NOT NULL""",
    ],
]

LATEST = len(MIGRATIONS)

SERIAL = {
    "sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT",
    "postgresql": "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
}
