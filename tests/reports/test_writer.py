"""Writing reports: atomic, private (0600 files in a 0700 folder), and a clear error on failure.

Tests run as root in CI, where permission bits do not stop a write, so the failure cases
use causes that stop root too: a folder path whose parent is a regular file, a
file-size limit (RLIMIT_FSIZE, in a child process) that behaves like a full disk, and a
read-only folder written by a forked child that has given up root for ``nobody``.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from enforcer.model.errors import ReportError
from enforcer.model.values import RunResult
from enforcer.reports.registry import REPORTERS
from enforcer.reports.writer import write_reports

ROOT = Path(__file__).parents[2]


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_writes_latest_and_run_copies_private(tmp_path: Path, ordinary) -> None:
    out = tmp_path / "new" / "reports"
    paths = write_reports(ordinary, out, ["html", "json", "csv"])
    assert [p.name for p in paths] == [
        "enforcer-report.html",
        f"enforcer-{ordinary.run_id}.html",
        "enforcer-report.json",
        f"enforcer-{ordinary.run_id}.json",
        "enforcer-report.csv",
        f"enforcer-{ordinary.run_id}.csv",
    ]
    assert _mode(out) == 0o700
    for p in paths:
        assert _mode(p) == 0o600
        fmt = p.suffix[1:]
        assert p.read_bytes() == REPORTERS[fmt].render(ordinary).encode("utf-8")
    assert sorted(os.listdir(out)) == sorted(p.name for p in paths)  # no temp files left


def test_existing_folder_mode_is_left_alone(tmp_path: Path, ordinary) -> None:
    tmp_path.chmod(0o755)
    write_reports(ordinary, tmp_path, ["json"])
    assert _mode(tmp_path) == 0o755


def test_a_second_run_replaces_latest_and_keeps_the_first_copy(tmp_path: Path, ordinary) -> None:
    import dataclasses

    write_reports(ordinary, tmp_path, ["json"])
    second = dataclasses.replace(ordinary, run_id="20250116T020000Z", findings=ordinary.findings[:1])
    write_reports(second, tmp_path, ["json"])
    assert (tmp_path / "enforcer-report.json").read_text(encoding="utf-8") == REPORTERS["json"].render(second)
    assert (tmp_path / f"enforcer-{ordinary.run_id}.json").exists()


def test_parent_is_a_file_gives_one_line_error(tmp_path: Path, ordinary) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(ReportError) as info:
        write_reports(ordinary, blocker / "reports", ["html"])
    assert "cannot create reports folder" in str(info.value) and "\n" not in str(info.value)


def test_folder_is_a_file(tmp_path: Path, ordinary) -> None:
    target = tmp_path / "reports"
    target.write_text("x")
    with pytest.raises(ReportError):
        write_reports(ordinary, target, ["html"])
    assert target.read_text() == "x"


NOBODY = 65534  # uid and gid of "nobody"; setuid/setgid need no passwd entry for it


def _write_as_nobody(result: RunResult, folder: Path) -> tuple[int, str]:
    """``write_reports`` in a forked child that dropped root for ``nobody`` first, so the folder's
    permission bits apply. The outcome comes back as the exit status (0: ReportError, 2: no
    error, 3: anything else) and the message through a pipe; the child never returns to pytest."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        code, message = 3, "the child failed before writing"
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            try:
                write_reports(result, folder, ["json"])
                code, message = 2, "no error raised"
            except ReportError as exc:
                code, message = 0, str(exc)
        except BaseException as exc:  # noqa: BLE001 - every outcome must reach the parent as a status
            code, message = 3, f"{type(exc).__name__}: {exc}"
        finally:
            try:
                os.write(write_end, message.encode("utf-8", "replace"))
            finally:
                os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as fh:
        message = fh.read().decode("utf-8")
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), message


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_read_only_folder_keeps_previous_reports(tmp_path: Path, ordinary) -> None:
    """Root ignores permission bits, so as root the failing write is made by a child running as
    ``nobody``, in a fresh folder under /tmp whose parents nobody can traverse (pytest's own
    temporary folders are 0700 root); the folder itself is 0555, which nobody cannot write."""
    as_root = os.geteuid() == 0
    base = Path(tempfile.mkdtemp(prefix="enforcer-ro-", dir="/tmp")) if as_root else tmp_path
    try:
        base.chmod(0o755)
        folder = base / "reports"
        write_reports(ordinary, folder, ["json"])
        before = _contents(folder)
        folder.chmod(0o555)
        try:
            if as_root:
                status, message = _write_as_nobody(ordinary, folder)
                assert status == 0, (status, message)
            else:
                with pytest.raises(ReportError) as info:
                    write_reports(ordinary, folder, ["json"])
                message = str(info.value)
        finally:
            folder.chmod(0o700)
        assert message.startswith(f"cannot write reports to {folder}: "), message
        assert "Permission denied" in message
        assert _contents(folder) == before  # previous reports intact, no temporary files left
    finally:
        if as_root:
            shutil.rmtree(base)


def test_full_disk_leaves_previous_reports_intact(tmp_path: Path) -> None:
    """A child process writes a small report, then a large one under a 64 KiB file-size limit."""
    script = textwrap.dedent(f"""
        import os, resource, signal, sys
        sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / "tests")!r}]
        from reports.conftest import make_result, make_finding
        from enforcer.model.values import Status, Severity, SubjectKind
        from enforcer.model.errors import ReportError
        from enforcer.reports.writer import write_reports
        small = make_result([])
        write_reports(small, sys.argv[1], ["html", "json", "csv"])
        big = make_result([make_finding("r", Status.FAIL, Severity.LOW, SubjectKind.ACCOUNT, f"u{{i}}", "n" * 200)
                           for i in range(400)], run_id="second")
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
        try:
            write_reports(big, sys.argv[1], ["html", "json", "csv"])
        except ReportError as exc:
            print("REPORT-ERROR", exc)
            sys.exit(0)
        sys.exit("no error raised")
    """)
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("REPORT-ERROR cannot write reports to")
    assert "File too large" in done.stdout
    names = sorted(os.listdir(tmp_path))
    assert names == sorted(
        [
            "enforcer-report.html",
            "enforcer-report.json",
            "enforcer-report.csv",
            "enforcer-20250115T020000Z.html",
            "enforcer-20250115T020000Z.json",
            "enforcer-20250115T020000Z.csv",
        ]
    )  # no temp files, no "second" copies
    latest = (tmp_path / "enforcer-report.json").read_text(encoding="utf-8")
    assert '"id": "20250115T020000Z"' in latest and '"findings": []' in latest


def test_unknown_format_writes_nothing(tmp_path: Path, ordinary) -> None:
    with pytest.raises(ReportError, match="unknown report format 'pdf'"):
        write_reports(ordinary, tmp_path / "r", ["json", "pdf"])
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("run_id", ["../escape", "a/b", "", ".hidden", "x" * 200])
def test_run_id_must_be_a_plain_file_name(tmp_path: Path, ordinary, run_id: str) -> None:
    import dataclasses

    with pytest.raises(ReportError, match="cannot be used in a file name"):
        write_reports(dataclasses.replace(ordinary, run_id=run_id), tmp_path, ["json"])
    assert os.listdir(tmp_path) == []


def test_write_file_is_atomic_and_private(tmp_path: Path) -> None:
    from enforcer.reports.writer import write_file

    target = tmp_path / "out.json"
    target.write_text("previous")
    assert write_file(target, b"new") == target
    assert target.read_bytes() == b"new" and _mode(target) == 0o600
    assert os.listdir(tmp_path) == ["out.json"]


def test_write_file_needs_an_existing_folder(tmp_path: Path) -> None:
    from enforcer.reports.writer import write_file

    with pytest.raises(ReportError, match="does not exist"):
        write_file(tmp_path / "missing" / "out.json", b"x")
    target = tmp_path / "is-a-dir"
    target.mkdir()
    with pytest.raises(ReportError, match="cannot write report"):
        write_file(target, b"x")
    assert target.is_dir() and os.listdir(tmp_path) == ["is-a-dir"]
