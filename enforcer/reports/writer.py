"""Writing reports into a folder so that a reader never sees half a report.

Each format is rendered first, then written to a temporary file (mode 0600) in the
target folder, flushed to disk, and only when every file is complete are they moved
into place with ``os.replace`` (atomic on one filesystem). A full disk or an unwritable
folder raises ``ReportError`` and leaves the previous reports as they were.

``write_file`` does the same for the single file of ``enforcer audit --output FILE``.

For each format two names are written: ``enforcer-report.<ext>`` (always the latest,
for bookmarks and links) and ``enforcer-<run_id>.<ext>`` (this run's copy, kept).

A process killed mid-write (SIGKILL, a power cut) runs no ``finally`` and leaves its
temporary files behind; the next write into the folder removes them (:func:`_sweep`).
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from enforcer.model.errors import ReportError
from enforcer.model.values import RunResult
from enforcer.reports.interface import ReportExtras
from enforcer.reports.registry import REPORTERS

LATEST_STEM = "enforcer-report"
_SAFE_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_TEMP_PREFIX, _TEMP_SUFFIX = ".enforcer-", ".tmp"
_TEMP_NAME = re.compile(re.escape(_TEMP_PREFIX) + r"[a-z0-9_]{8}" + re.escape(_TEMP_SUFFIX))
"""The names :func:`_stage` gets from ``mkstemp`` (eight random characters): the only files
:func:`_sweep` may remove."""
_STARTED = time.time()
"""When this process started: a temporary file older than that is no write of this run's."""


def report_names(run_id: str, extension: str) -> tuple[str, str]:
    """(latest name, this run's name); refuses a run id that is not a plain file name."""
    if not _SAFE_RUN_ID.match(run_id) or ".." in run_id:
        raise ReportError(f"run id {run_id!r} cannot be used in a file name")
    return f"{LATEST_STEM}.{extension}", f"enforcer-{run_id}.{extension}"


def write_reports(
    result: RunResult,
    directory: str | os.PathLike[str],
    formats: Iterable[str],
    *,
    extras: ReportExtras | None = None,
) -> list[Path]:
    """Write every format; return the paths written, latest name then run copy, per format."""
    folder = Path(directory)
    rendered: list[tuple[str, bytes]] = []
    for fmt in dict.fromkeys(formats):
        reporter = REPORTERS.get(fmt)
        if reporter is None:
            raise ReportError(f"unknown report format {fmt!r} (known: {', '.join(sorted(REPORTERS))})")
        data = reporter.render(result, color=False, extras=extras).encode("utf-8")
        for name in report_names(result.run_id, reporter.extension):
            rendered.append((name, data))
    _make_folder(folder)
    staged: list[tuple[str, Path]] = []
    try:
        _sweep(folder)
        for name, data in rendered:
            staged.append((_stage(folder, data), folder / name))
        for tmp, final in staged:
            os.replace(tmp, final)
        _sync_dir(folder)
    except OSError as exc:
        raise ReportError(f"cannot write reports to {folder}: {exc.strerror or exc}") from None
    finally:
        for tmp, _ in staged:
            if os.path.lexists(tmp):
                os.unlink(tmp)
    return [final for _, final in staged]


def write_file(path: str | os.PathLike[str], data: bytes) -> Path:
    """Atomically write one report (``enforcer audit --output FILE``), mode 0600.

    The folder must exist: a typo in ``--output`` should not quietly create directories.
    """
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        raise ReportError(f"cannot write report {target}: folder {folder} does not exist")
    tmp: str | None = None
    try:
        _sweep(folder)
        tmp = _stage(folder, data)
        os.replace(tmp, target)
        _sync_dir(folder)
    except OSError as exc:
        raise ReportError(f"cannot write report {target}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None and os.path.lexists(tmp):
            os.unlink(tmp)
    return target


def _make_folder(folder: Path) -> None:
    try:
        if not folder.is_dir():
            folder.mkdir(mode=0o700, parents=True)
    except OSError as exc:
        raise ReportError(f"cannot create reports folder {folder}: {exc.strerror or exc}") from None


def _sweep(folder: Path) -> None:
    """Remove the temporary files a killed writer left in ``folder``.

    Only names of :data:`_TEMP_NAME`, only regular files (not symlinks) owned by this user, and
    only files last written before this process started, so never one that another writer
    (``enforcer audit --output`` beside a run) is staging at this moment."""
    uid = os.geteuid()
    with os.scandir(folder) as entries:
        for entry in entries:
            if not _TEMP_NAME.fullmatch(entry.name):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(st.st_mode) and st.st_uid == uid and st.st_mtime < _STARTED:
                    os.unlink(entry.path)
            except FileNotFoundError:
                continue  # another writer removed it first: what we wanted


def _stage(folder: Path, data: bytes) -> str:
    """Write a complete temporary copy (mkstemp creates it 0600) and flush it to disk."""
    fd, tmp = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=_TEMP_SUFFIX, dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def _sync_dir(folder: Path) -> None:
    """Make the renames durable; some filesystems cannot open a directory, which is fine."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
