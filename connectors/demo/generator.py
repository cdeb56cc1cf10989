"""The demo school: a deterministic, synthetic primary school.

Everything is derived from ``Settings.seed`` and a reference instant (the run's
as-of date unless the settings fix one), so the same seed gives the same school
record for record, and every date is *relative* to the reference: a password
that is exactly 90 days old stays exactly 90 days old on whatever day the demo
runs. That keeps the report (and the golden files built on it) stable.

Each planted violation is recorded in ``DemoSchool.planted`` (violation name to
subject ids) so tests and ``describe()`` can say what a run should find without
re-deriving it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from types import MappingProxyType

from connectors.demo.devices import make_devices
from connectors.demo.people import Builder, Planter
from connectors.demo.settings import Settings
from connectors.demo.staff import add_adults
from enforcer.model.values import Account, Device, DomainPolicy, PasswordSettings, Record, Role, RosterEntry


@dataclass(frozen=True, slots=True)
class DemoSchool:
    school: str
    seed: int
    reference: datetime
    """The instant every generated date is relative to."""
    accounts: tuple[Account, ...]
    devices: tuple[Device, ...]
    policy: DomainPolicy
    roster: tuple[RosterEntry, ...]
    planted: Mapping[str, tuple[str, ...]]
    """Violation (or unknown-value) name -> ids of the records it was planted on."""

    def records(self) -> Iterator[Record]:
        """Roster first (so reconciliation can index it before accounts stream past), then the
        domain policy, accounts and devices: a stable order."""
        yield from self.roster
        yield self.policy
        yield from self.accounts
        yield from self.devices

    def counts(self) -> dict[str, int]:
        out = {
            "accounts": len(self.accounts),
            "devices": len(self.devices),
            "domain": 1,
            "roster": len(self.roster),
        }
        for role in Role:
            out[f"accounts.{role.value}"] = sum(1 for a in self.accounts if a.role is role)
        return out

    def describe(self) -> str:
        c = self.counts()
        roles = ", ".join(f"{c[f'accounts.{r.value}']} {r.value}" for r in Role)
        lines = [
            f"{self.school} (seed {self.seed}, dates relative to {self.reference.isoformat()})",
            f"  {c['accounts']} accounts ({roles}), {c['devices']} devices, "
            f"1 domain policy with {len(self.policy.fine_grained or ())} fine-grained policies, "
            f"{c['roster']} roster entries",
            "  planted:",
        ]
        lines += [f"    {name}: {len(ids)}" for name, ids in sorted(self.planted.items())]
        return "\n".join(lines)


def reference_instant(settings: Settings, as_of: datetime | None) -> datetime:
    """Settings' fixed date wins, then the run's as-of, then now; always timezone-aware."""
    if settings.reference_date is not None:
        return datetime.combine(settings.reference_date, time(0, 0), tzinfo=UTC)
    if as_of is not None:
        return as_of if as_of.tzinfo is not None else as_of.replace(tzinfo=UTC)
    return datetime.now(UTC).replace(microsecond=0)


def generate(
    settings: Settings | None = None, source: str = "demo", as_of: datetime | None = None
) -> DemoSchool:
    settings = settings or Settings()
    ref = reference_instant(settings, as_of)
    planter = Planter()
    people = Builder(settings, source, ref, planter)
    people.pupils()
    staff = add_adults(people)
    devices = make_devices(settings, source, ref, staff, planter)
    policy = domain_policy(settings, source, planter)
    return DemoSchool(
        school=settings.school,
        seed=settings.seed,
        reference=ref,
        accounts=tuple(people.accounts),
        devices=devices,
        policy=policy,
        roster=tuple(people.roster),
        planted=MappingProxyType({k: tuple(v) for k, v in sorted(planter.planted.items())}),
    )


def _dc(domain: str) -> str:
    return ",".join(f"DC={part}" for part in domain.split("."))


def domain_policy(settings: Settings, source: str, planter: Planter) -> DomainPolicy:
    """A default policy that breaks the school's own promises in realistic ways.

    The default policy: max age 180 days, minimum length 7, complexity off, no
    lockout, and reversible encryption on (a classic leftover from CHAP-based
    Wi-Fi, also kept in a legacy PSO). A staff PSO does keep the 90-day promise,
    so only staff missing from its group fail the per-account expiry rule.
    """
    dc = _dc(settings.domain)
    pid = f"domain:{settings.domain}"
    staff_pso = PasswordSettings(
        name="Staff PSO",
        precedence=5,
        applies_to=(f"CN=Staff,OU=Groups,{dc}",),
        max_password_age_days=90,
        min_password_length=10,
        complexity_required=True,
        reversible_encryption=False,
        lockout_threshold=10,
        history_length=24,
    )
    pupils_pso = PasswordSettings(
        name="Pupils PSO",
        precedence=10,
        applies_to=(f"CN=Pupils,OU=Groups,{dc}",),
        max_password_age_days=0,
        min_password_length=6,
        complexity_required=False,
        reversible_encryption=False,
        lockout_threshold=0,
        history_length=0,
    )
    wifi_pso = PasswordSettings(
        name="Legacy Wi-Fi RADIUS",
        precedence=20,
        applies_to=(f"CN=WiFi-RADIUS,OU=Groups,{dc}",),
        max_password_age_days=0,
        min_password_length=8,
        complexity_required=True,
        reversible_encryption=True,
        lockout_threshold=0,
        history_length=5,
    )
    planter.add("domain_max_age_over_90", pid)
    planter.add("domain_min_length_below_8", pid)
    planter.add("domain_no_lockout", pid)
    planter.add("domain_complexity_off", pid)
    planter.add("domain_reversible_encryption", pid)
    planter.add("pso_reversible_encryption", pid)
    return DomainPolicy(
        source=source,
        id=pid,
        name="Default Domain Policy",
        max_password_age_days=180,
        min_password_length=7,
        complexity_required=False,
        reversible_encryption=True,
        lockout_threshold=0,
        history_length=24,
        fine_grained=(staff_pso, pupils_pso, wifi_pso),
    )
