"""A throwaway Samba AD domain controller on 127.0.0.1, for the tests and the benchmark.

``python -m tests.services.samba`` provisions one, loads the test school and
keeps it running until Ctrl-C (handy for ``enforcer audit`` by hand).

Steps: install Debian's packages when missing (without letting the distro start
smbd/nmbd), provision a domain into a temporary directory, point it at the
pre-made certificate in tests/data/ad (so TLS can be verified and Samba skips a
slow key generation), bulk-load entries straight into sam.ldb with ``ldbadd``
(about 20x faster than LDAP adds, and the only way to write old pwdLastSet
dates), start ``samba -F`` in its own process group, and tear it all down after.
Only one DC can own 127.0.0.1:389/636, so a lock file serialises them.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from string import Template

PACKAGES = [
    "samba",
    "samba-ad-dc",
    "samba-ad-provision",
    "samba-dsdb-modules",
    "samba-vfs-modules",
    "winbind",
    "python3-samba",
    "ldb-tools",
    "ldap-utils",
]
TOOLS = ["samba", "samba-tool", "ldbadd", "ldbmodify", "ldapsearch"]
DATA = Path(__file__).resolve().parents[1] / "data" / "ad"
REALM, DOMAIN = "SCHOOL.TEST", "SCHOOL"
BASE = "DC=school,DC=test"
ADMIN_DN = f"CN=Administrator,CN=Users,{BASE}"
ADMIN_PASSWORD = "Adm1n-Pass!2026"  # a throwaway test domain on loopback only
HOST = "127.0.0.1"
CA_FILE = DATA / "ca.pem"
UNTRUSTED_CA_FILE = DATA / "untrusted-ca.pem"
OLD_PWDLASTSET_CONTROL = "local_oid:1.3.6.1.4.1.7165.4.3.20:0"
LOCK_PATH = Path(tempfile.gettempdir()) / "enforcer-samba-dc.lock"


class DCUnavailable(RuntimeError):
    """This machine cannot run a DC (no root, no apt, no packages): a reason to skip outside CI."""


def ensure_packages() -> None:
    """apt-get install the DC's packages when any tool is missing; never starts distro daemons."""
    if all(shutil.which(t) for t in TOOLS) and _all_installed():
        return
    from tests.services.apt import AptUnavailable, install

    try:
        install(list(PACKAGES), purpose="Samba")
    except AptUnavailable as exc:
        raise DCUnavailable(str(exc)) from None


def _all_installed() -> bool:
    """dpkg knows every package (samba-ad-provision is only a recommends and easy to miss)."""
    if not shutil.which("dpkg-query"):
        return True  # not Debian: trust the tools being on PATH
    proc = subprocess.run(["dpkg-query", "-W", "-f=${Status}\n", *PACKAGES], capture_output=True, text=True)
    return proc.returncode == 0 and proc.stdout.count("install ok installed") == len(PACKAGES)


def filetime(moment: datetime) -> int:
    return int((moment - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds() * 10_000_000)


def render(template: str, now: datetime, **extra: str) -> str:
    """Fill ``${BASE}``, ``${ago_N}`` (FILETIME N days before now) and ``${in_N}`` (N days after)."""
    values: dict[str, str] = {"BASE": BASE, **extra}
    for kind, days in re.findall(r"\$\{(ago|in)_(\d+)\}", template):
        delta = timedelta(days=int(days))
        values[f"{kind}_{days}"] = str(filetime(now - delta if kind == "ago" else now + delta))
    return Template(template).substitute(values)


class SambaDC:
    """One DC; use as a context manager or call provision/start/stop/destroy."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or Path(tempfile.mkdtemp(prefix="enforcer-samba-"))
        self.conf = self.root / "etc" / "smb.conf"
        self.sam = self.root / "private" / "sam.ldb"
        self.proc: subprocess.Popen[bytes] | None = None
        self._lock: int | None = None

    # -- life cycle ---------------------------------------------------------------------------
    def __enter__(self) -> SambaDC:
        self.provision()
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.destroy()

    def provision(self) -> None:
        ensure_packages()
        self._lock = os.open(LOCK_PATH, os.O_CREAT | os.O_RDWR, 0o600)
        deadline = time.monotonic() + 600
        while True:
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"another test DC holds {LOCK_PATH} (and 127.0.0.1:389)") from None
                time.sleep(1)
        _run(
            [
                "samba-tool",
                "domain",
                "provision",
                f"--realm={REALM}",
                f"--domain={DOMAIN}",
                "--server-role=dc",
                "--dns-backend=NONE",
                f"--adminpass={ADMIN_PASSWORD}",
                "--host-name=dc1",
                f"--targetdir={self.root}",
                "--option=interfaces = lo",
                "--option=bind interfaces only = yes",
                "--option=server services = ldap cldap kdc",
            ],
            timeout=300,
        )
        tls = self.root / "tls"
        tls.mkdir(mode=0o700)
        for name, target in (("dc.key", "key.pem"), ("dc.pem", "cert.pem"), ("ca.pem", "ca.pem")):
            shutil.copy(DATA / name, tls / target)
        (tls / "key.pem").chmod(0o600)  # Samba refuses a key others can read
        (self.root / "run").mkdir()
        extra = {
            "ldap server require strong auth": "no",  # samba-tool drops this as an --option
            "tls enabled": "yes",
            "tls keyfile": str(tls / "key.pem"),
            "tls certfile": str(tls / "cert.pem"),
            "tls cafile": str(tls / "ca.pem"),
            "log file": str(self.root / "log.%m"),
            "pid directory": str(self.root / "run"),
        }
        lines = [ln for ln in self.conf.read_text().splitlines() if ln.split("=", 1)[0].strip() not in extra]
        at = lines.index("[global]") + 1
        lines[at:at] = [f"\t{k} = {v}" for k, v in extra.items()]
        self.conf.write_text("\n".join(lines) + "\n")

    def start(self, timeout: float = 60) -> None:
        log = open(self.root / "samba.out", "ab")
        self.proc = subprocess.Popen(
            ["samba", "-F", "--debug-stdout", "-s", str(self.conf)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"samba exited with {self.proc.returncode}: {self.tail()}")
            if all(_port_open(HOST, p) for p in (389, 636)) and self._answers():
                return
            time.sleep(0.2)
        raise RuntimeError(f"samba did not answer on 389/636 within {timeout}s: {self.tail()}")

    def _answers(self) -> bool:
        proc = subprocess.run(
            ["ldapsearch", "-x", "-H", f"ldap://{HOST}", "-s", "base", "-b", "", "defaultNamingContext"],
            capture_output=True,
            timeout=10,
        )
        return proc.returncode == 0

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.proc = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _port_open(HOST, 636):
            time.sleep(0.1)

    def destroy(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            if self._lock is not None:
                os.close(self._lock)
                self._lock = None

    def tail(self, lines: int = 20) -> str:
        path = self.root / "samba.out"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    # -- data -----------------------------------------------------------------------------------
    def add_ldif(self, ldif: str | Path, expected: int, chunk: int = 5000) -> None:
        """Bulk-add into sam.ldb; raise unless exactly ``expected`` entries were added.

        ldbadd can exit 0 after stopping at a bad entry, so its own count is the check. Large
        files go in chunks of ``chunk`` entries: one huge batch transaction gets slower per
        entry as it grows.
        """
        text = ldif.read_text() if isinstance(ldif, Path) else ldif
        entries = [e for e in text.split("\n\n") if e.strip() and not _only_comments(e)]
        added = 0
        for i in range(0, len(entries), chunk):
            path = self._write_tmp("\n\n".join(entries[i : i + chunk]) + "\n")
            proc = _run(
                [
                    "ldbadd",
                    "-H",
                    str(self.sam),
                    "-o",
                    "batch_mode:1",
                    f"--controls={OLD_PWDLASTSET_CONTROL}",
                    str(path),
                ],
                timeout=1800,
            )
            path.unlink()
            got = re.search(r"Added (\d+) records", proc.stdout)
            n = int(got.group(1)) if got else 0
            added += n
            if n != len(entries[i : i + chunk]):
                break
        if added != expected:
            raise RuntimeError(f"ldbadd added {added} of {expected} entries: {proc.stderr.strip()[-800:]}")

    def modify_ldif(self, ldif: str, expected: int) -> None:
        proc = _run(
            [
                "ldbmodify",
                "-H",
                str(self.sam),
                f"--controls={OLD_PWDLASTSET_CONTROL}",
                str(self._write_tmp(ldif)),
            ],
            timeout=600,
        )
        done = re.search(r"Modified (\d+) records", proc.stdout)
        if not done or int(done.group(1)) != expected:
            raise RuntimeError(f"ldbmodify: {proc.stdout.strip()} {proc.stderr.strip()[-800:]}")

    def _write_tmp(self, text: str) -> Path:
        fd, name = tempfile.mkstemp(suffix=".ldif", dir=self.root)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        return Path(name)

    def set_password(self, dn: str, password: str) -> None:
        """Over LDAPS as Administrator (unicodePwd is write-only and needs an encrypted channel)."""
        import ssl

        import ldap3

        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(CA_FILE))
        server = ldap3.Server(HOST, port=636, use_ssl=True, tls=tls, get_info=ldap3.NONE)
        with ldap3.Connection(server, ADMIN_DN, ADMIN_PASSWORD, auto_bind=True, raise_exceptions=True) as c:
            c.modify(dn, {"unicodePwd": [(ldap3.MODIFY_REPLACE, [f'"{password}"'.encode("utf-16-le")])]})

    def ldapsearch(
        self, base: str, flt: str, attributes: Iterable[str], page: int = 1000
    ) -> tuple[float, int]:
        """Time ``ldapsearch -E pr=N/noprompt`` over LDAPS as Administrator: (seconds, entries)."""
        env = {**os.environ, "LDAPTLS_CACERT": str(CA_FILE)}
        start = time.perf_counter()
        proc = subprocess.run(
            [
                "ldapsearch",
                "-LLL",
                "-x",
                "-H",
                f"ldaps://{HOST}",
                "-D",
                ADMIN_DN,
                "-w",
                ADMIN_PASSWORD,
                "-b",
                base,
                "-E",
                f"pr={page}/noprompt",
                flt,
                *attributes,
            ],
            env=env,
            capture_output=True,
            timeout=1800,
        )
        took = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"ldapsearch failed: {proc.stderr.decode(errors='replace')[-500:]}")
        return took, len(re.findall(rb"^dn::? ", proc.stdout, re.MULTILINE))


def _run(cmd: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {(proc.stderr or proc.stdout)[-800:]}")
    return proc


def _only_comments(block: str) -> bool:
    return all(ln.startswith("#") or not ln.strip() for ln in block.splitlines())


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


if __name__ == "__main__":
    from tests.connectors.school import after_start, load_school

    def _interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _interrupt)  # background jobs ignore SIGINT; TERM must clean up too
    signal.signal(signal.SIGINT, _interrupt)
    dc = SambaDC()
    try:
        dc.provision()
        load_school(dc)
        dc.start()
        after_start(dc)
        print(f"DC running from {dc.root}; ldaps://{HOST} CA {CA_FILE}; Ctrl-C to stop")
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        dc.destroy()
