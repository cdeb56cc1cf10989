"""One way for the test harnesses to install Debian packages: as root, through apt-get.

Shared by the Samba, PostgreSQL and Chromium harnesses so each behaves the same on a fresh
machine: wait for the dpkg lock (another apt-get, unattended-upgrades or a second harness may hold
it) instead of failing at once, refresh the package lists once if an install fails, and keep the
distro's own daemons from starting while packages are unpacked (``policy-rc.d``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

LOCK_WAIT_SECONDS = 900


class AptUnavailable(RuntimeError):
    """Installing is impossible here (not root, or not a Debian-like system) or apt-get failed."""


def install(packages: list[str], *, purpose: str) -> None:
    """``apt-get install`` the packages; raise :class:`AptUnavailable` with apt's last words."""
    if os.geteuid() != 0:
        raise AptUnavailable(f"{purpose} is not installed and installing it needs root")
    if not shutil.which("apt-get"):
        raise AptUnavailable(f"{purpose} is not installed and this is not a Debian-like system (no apt-get)")
    policy = Path("/usr/sbin/policy-rc.d")
    created = not policy.exists()
    if created:
        policy.write_text("#!/bin/sh\n# enforcer tests: keep distro daemons from starting\nexit 101\n")
        policy.chmod(0o755)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    wait = ["-o", f"DPkg::Lock::Timeout={LOCK_WAIT_SECONDS}"]
    cmd = ["apt-get", *wait, "install", "-y", "-q", "--no-install-recommends", *packages]
    limit = LOCK_WAIT_SECONDS + 900
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=limit)
        if proc.returncode != 0:
            subprocess.run(["apt-get", *wait, "update", "-q"], env=env, capture_output=True, timeout=limit)
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=limit)
    finally:
        if created:
            policy.unlink(missing_ok=True)
    if proc.returncode != 0:
        raise AptUnavailable(f"apt-get install {' '.join(packages)} failed: {proc.stderr.strip()[-500:]}")
