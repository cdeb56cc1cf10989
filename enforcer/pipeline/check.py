"""``enforcer config check``: exercise every part a run needs, before the night's run does.

Why this exists: a check that only validates settings said "ok" for a domain controller it
never reached, and for a bind account that could not read BitLocker recovery objects; the
run then failed or reported every computer's encryption as unknown. Here each source, the
store and the mail server are really used (cheaply, nothing is changed or sent) and every
capability is reported with what its loss does to the findings.

Exit codes (the contract ``cmd_check`` returns):

- 0: everything reachable and every capability the run relies on is readable;
- 3: something is unreachable (no connection, bind or token refused, store or mail server
  failing), or a capability is missing that would fail the run or turn findings into
  "unknown" (e.g. BitLocker recovery objects not visible). Not 0-with-warnings: a night of
  unknowns is the failure this command exists to prevent;
- 2: the configuration itself is wrong (a secret reference that cannot be read, no
  recipients); 2 wins over 3, because fixing it may change everything else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from enforcer.config import Config, SourceConfig
from enforcer.logs import redact
from enforcer.model.errors import ConfigError, EnforcerError, UsageError
from enforcer.pipeline.build import build_source
from enforcer.sources.interface import CheckResult

OK, CONFIG_WRONG, UNUSABLE = 0, 2, 3
WRITE_PROBE = -1
"""A schema_version row no migration ever writes; inserted and rolled back to prove writing works."""


@dataclass(frozen=True, slots=True)
class Checked:
    """One part of the set-up (a source, the store, the mail server) as the check found it."""

    component: str
    """The source as ``name (type)``, or ``store``, or ``email``."""
    results: tuple[CheckResult, ...] = ()
    """One per capability; empty when the part could not be reached at all."""
    error: str | None = None
    """Why it could not be reached or checked, redacted."""
    error_exit: int = UNUSABLE
    """What ``error`` costs: 2 when the configuration is wrong, 3 when something is unreachable."""

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return self.error_exit
        return OK if all(r.ok for r in self.results) else UNUSABLE


def verdict(checked: Iterable[Checked]) -> int:
    codes = {c.exit_code for c in checked}
    return CONFIG_WRONG if CONFIG_WRONG in codes else UNUSABLE if UNUSABLE in codes else OK


def check_all(config: Config, tracking_apps: Sequence[str] = ()) -> list[Checked]:
    """Every source, then the store, then (when enabled) the mail server; none stops the rest."""

    def source(sc: SourceConfig) -> Callable[[], Sequence[CheckResult]]:
        return lambda: build_source(config, sc, tracking_apps=tracking_apps).check()

    out = [_checked(f"{sc.name} ({sc.type})", source(sc)) for sc in config.sources]
    out.append(_checked("store", lambda: check_store(config)))
    if config.model.email.enabled:
        out.append(_checked("email", lambda: check_mail(config)))
    return out


def _checked(component: str, probe: Callable[[], Sequence[CheckResult]]) -> Checked:
    """Run one probe; every project error becomes a redacted line, and every detail is redacted
    too (a server may quote what it was sent, AUTH PLAIN included)."""
    try:
        results = probe()
    except (ConfigError, UsageError) as exc:
        return Checked(component, error=redact(str(exc)), error_exit=CONFIG_WRONG)
    except EnforcerError as exc:
        return Checked(component, error=redact(str(exc)), error_exit=UNUSABLE)
    return Checked(component, tuple(_redacted(r) for r in results))


def _redacted(r: CheckResult) -> CheckResult:
    consequence = redact(r.consequence) if r.consequence is not None else None
    return CheckResult(redact(r.capability), r.ok, redact(r.detail), consequence)


class _RollBack(Exception):
    """Raised inside the probe transaction so that it is rolled back, never committed."""


def check_store(config: Config) -> list[CheckResult]:
    """Open (and migrate) the store the run will use, then write a row and roll it back."""
    from enforcer.store import open_store

    with open_store(config) as store:
        version = store.db.version()
        try:
            with store.db.transaction() as db:
                db.execute("INSERT INTO schema_version (version) VALUES (?)", (WRITE_PROBE,))
                raise _RollBack
        except _RollBack:
            pass  # the write worked and was taken back: exactly what the probe is for
        return [CheckResult("open and write", True, f"{store.where}: schema version {version}, writable")]


def check_mail(config: Config) -> list[CheckResult]:
    from enforcer.reports import digest

    return digest.check(config.model.email)
