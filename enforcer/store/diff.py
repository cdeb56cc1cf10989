"""What changed since the last complete run.

Pure: given the previous complete run's failing findings and this run's findings
and sources, sort every fingerprint into new / regressed / still failing / fixed /
unknown. The rule that matters most: a finding is "fixed" only when the source
that reported it was read completely this time and the finding is absent or
passing. A failed source, or an ``error`` verdict, makes it "unknown" instead, so a
broken connection can never make the night's email say "all fixed".
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from enforcer.model.values import Finding, SourceStatus, Status
from enforcer.store.codec import FAILING


@dataclass(frozen=True, slots=True)
class RunDiff:
    run_id: str
    against: str | None
    """The last complete run compared against; None on the first run."""
    new: tuple[Finding, ...] = ()
    regressed: tuple[Finding, ...] = ()
    """Failing now, not failing last time, but failed at some earlier point."""
    still_failing: tuple[Finding, ...] = ()
    fixed: tuple[Finding, ...] = ()
    """The previous run's findings (their last failing state) that no longer fail."""
    unknown: tuple[Finding, ...] = ()
    """Failing last time; this time the source failed or the rule could not be evaluated."""

    def change_of(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for name in ("new", "regressed", "still_failing"):
            for f in getattr(self, name):
                out[f.fingerprint] = name
        return out

    def summary(self) -> dict[str, int]:
        return {
            "new": len(self.new),
            "regressed": len(self.regressed),
            "still_failing": len(self.still_failing),
            "fixed": len(self.fixed),
            "unknown": len(self.unknown),
        }


def compute_diff(
    run_id: str,
    current: Iterable[Finding],
    sources: Iterable[SourceStatus],
    previous: Mapping[str, Finding],
    against: str | None,
    failed_before: Collection[str] = (),
    evaluated: Collection[str] = (),
) -> RunDiff:
    """``previous``: the last complete run's failing findings by fingerprint.
    ``failed_before``: fingerprints that failed in any earlier run (to tell regressed from new).
    ``evaluated``: the rules this run ran; a finding of another rule is unknown, never fixed
    (empty means every rule, for runs recorded before this was kept)."""
    ran = set(evaluated)
    ok_sources = {s.name for s in sources if s.ok}
    now = {f.fingerprint: f for f in current}
    new, regressed, still, fixed, unknown = [], [], [], [], []
    for fp, f in now.items():
        if f.status not in FAILING:
            continue
        if fp in previous:
            still.append(f)
        elif fp in failed_before:
            regressed.append(f)
        else:
            new.append(f)
    for fp, old in previous.items():
        cur = now.get(fp)
        if cur is not None and cur.status in FAILING:
            continue
        if (
            old.subject.source not in ok_sources
            or (cur is not None and cur.status == Status.ERROR)
            or (ran and old.rule not in ran)
        ):
            unknown.append(old)
        else:
            fixed.append(old)
    key = _order
    return RunDiff(
        run_id,
        against,
        tuple(sorted(new, key=key)),
        tuple(sorted(regressed, key=key)),
        tuple(sorted(still, key=key)),
        tuple(sorted(fixed, key=key)),
        tuple(sorted(unknown, key=key)),
    )


def _order(f: Finding) -> tuple[int, str, str]:
    """Most severe first, then by rule and subject, so the digest leads with what matters."""
    return (-f.severity.rank, f.rule, f.subject.name or f.subject.id)
