"""The ``ad`` source: reads users, computers and password policy from a domain controller.

Reading order matters for memory: the small things (domain policy, PSOs, the
members of the few groups that matter, the set of computers with BitLocker
keys) are read first, then users and computers are streamed page by page and
turned into records one at a time, so memory stays flat as the directory grows.
What an entry means is decided in ``mapping.py`` (pure, tested without a DC);
this module only decides what to read and in which order.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import ldap3

from connectors.ad import mapping as m
from connectors.ad.check import check
from connectors.ad.client import Client, NotVisible, escape
from connectors.ad.remediate import ADRemediator
from connectors.ad.settings import Settings
from enforcer.actions.interface import ActionPlan, ActionResult
from enforcer.identity import Classifier
from enforcer.model.values import Account, Device, DomainPolicy, Record
from enforcer.sources.interface import BuildContext, CheckResult

log = logging.getLogger(__name__)

USER_FILTER = "(&(objectCategory=person)(objectClass=user))"
COMPUTER_FILTER = "(objectClass=computer)"
USER_ATTRIBUTES = (
    "objectGUID",
    "sAMAccountName",
    "userPrincipalName",
    "displayName",
    "userAccountControl",
    "pwdLastSet",
    "lastLogonTimestamp",
    "accountExpires",
    "memberOf",
    "employeeID",
)
COMPUTER_ATTRIBUTES = (
    "objectGUID",
    "name",
    "dNSHostName",
    "operatingSystem",
    "operatingSystemVersion",
    "lastLogonTimestamp",
    "userAccountControl",
)
DOMAIN_ATTRIBUTES = (
    "maxPwdAge",
    "minPwdLength",
    "pwdProperties",
    "lockoutThreshold",
    "pwdHistoryLength",
    "objectSid",
)
PSO_ATTRIBUTES = (
    "cn",
    "objectGUID",
    "msDS-PasswordSettingsPrecedence",
    "msDS-PSOAppliesTo",
    "msDS-MaximumPasswordAge",
    "msDS-MinimumPasswordLength",
    "msDS-PasswordComplexityEnabled",
    "msDS-PasswordReversibleEncryptionEnabled",
    "msDS-LockoutThreshold",
    "msDS-PasswordHistoryLength",
)
ADMIN_RIDS = ("512", "518", "519")  # Domain Admins, Schema Admins, Enterprise Admins
BUILTIN_ADMINISTRATORS = "S-1-5-32-544"


class ADSource:
    type = "ad"

    def __init__(self, name: str, settings: Settings, client: Client, classifier: Classifier) -> None:
        self.name = name
        self.settings = settings
        self.client = client
        self.classifier = classifier
        self._remediator = ADRemediator(name, client, lambda: self.base_dn())
        self._base: str | None = settings.base_dn

    # -- Source -----------------------------------------------------------------------------
    def check(self) -> list[CheckResult]:
        try:
            return check(self, DOMAIN_ATTRIBUTES, USER_FILTER)
        finally:
            self.client.close()

    def base_dn(self) -> str:
        if self._base is None:
            ctx = m.text(self.client.root_dse(), "defaultNamingContext")
            if not ctx:
                raise NotVisible(f"AD {self.settings.host}: rootDSE has no defaultNamingContext; set base_dn")
            self._base = ctx
        return self._base

    def collect(self) -> Iterator[Record]:
        try:
            yield from self._collect()
        finally:
            self.client.close()

    def _collect(self) -> Iterator[Record]:
        base = self.base_dn()
        found = list(
            self.client.search(base, "(objectClass=*)", DOMAIN_ATTRIBUTES, scope=ldap3.BASE, paged=False)
        )
        if not found:
            raise NotVisible(f"AD {self.settings.host}: the domain root {base!r} is not readable")
        domain_raw = found[0].raw
        psos = self.read_psos(base)
        policy = m.domain_policy(
            self.name,
            base,
            m.dns_name(base),
            domain_raw,
            tuple(p.settings for p in psos) if psos is not None else None,
        )
        yield policy
        nested = self._nested_groups(base, psos, domain_raw)
        yield from self._accounts(policy, psos, nested)
        yield from self._devices()

    # -- pieces -----------------------------------------------------------------------------
    def read_psos(self, base: str) -> list[m.Pso] | None:
        """None when the bind account cannot see the Password Settings Container (unknown)."""
        container = f"CN=Password Settings Container,CN=System,{base}"
        try:
            entries = list(
                self.client.search(
                    container, "(objectClass=msDS-PasswordSettings)", PSO_ATTRIBUTES, scope=ldap3.LEVEL
                )
            )
        except NotVisible:
            log.warning("AD %s: cannot read %s; effective password ages are unknown", self.name, container)
            return None
        psos = [m.pso(e.raw, e.dn) for e in entries]
        # AD hides PSOs from ordinary accounts but not the msDS-PSOApplied back-links on the
        # users and groups they apply to: a linked PSO we cannot see means "unknown", not "none".
        visible = {p.dn.casefold() for p in psos}
        linked = {
            dn.casefold()
            for e in self.client.search(base, "(msDS-PSOApplied=*)", ["msDS-PSOApplied"])
            for dn in m.texts(e.raw, "msDS-PSOApplied")
        }
        hidden = linked - visible
        if hidden:
            log.warning(
                "AD %s: %d fine-grained password policies apply to accounts but are not readable by "
                "the bind account; effective password ages are unknown",
                self.name,
                len(hidden),
            )
            return None
        return psos

    def _nested_groups(self, base: str, psos: list[m.Pso] | None, domain_raw: m.Raw) -> m.Membership:
        """In-chain membership of just the groups a rule or PSO depends on."""
        wanted: dict[str, str] = {}  # casefolded DN -> DN
        admin: set[str] = set()
        for p in psos or ():
            for target in p.settings.applies_to:
                wanted[target.casefold()] = target
        for matcher in self.classifier.matchers:
            if matcher.group is None:
                continue
            if "=" in matcher.group:
                wanted[matcher.group.casefold()] = matcher.group
            else:
                flt = f"(&(objectClass=group)(cn={escape(matcher.group)}))"
                for e in self.client.search(base, flt, []):
                    wanted[e.dn.casefold()] = e.dn
        sids = [BUILTIN_ADMINISTRATORS]
        domain_sid = m.sid_string(m.first(domain_raw, "objectSid"))
        if domain_sid:
            sids += [f"{domain_sid}-{rid}" for rid in ADMIN_RIDS]
        flt = "(|" + "".join(f"(objectSid={escape(s)})" for s in sids) + ")"
        for e in self.client.search(base, flt, []):
            wanted[e.dn.casefold()] = e.dn
            admin.add(e.dn.casefold())
        # One cheap in-chain query per group of interest, over groups only: which groups sit
        # inside it at any depth. A user's direct memberOf then says which it belongs to. Asking
        # the in-chain rule over users instead costs the DC a walk per user per group.
        parents: dict[str, list[str]] = {}  # casefolded group DN -> groups of interest containing it
        for key, dn in wanted.items():
            parents.setdefault(key, []).append(dn)
            for inner in self.client.in_chain_members(base, dn, "(objectClass=group)"):
                parents.setdefault(inner, []).append(dn)
        return m.Membership(
            {k: tuple(v) for k, v in parents.items()},
            frozenset(admin),
            admins_known=bool(domain_sid) and bool(admin),
        )

    def _user_attributes(self) -> tuple[str, ...]:
        names = list(USER_ATTRIBUTES)
        for matcher in self.classifier.matchers:
            if matcher.attribute:
                names.append(matcher.attribute)
        if self.classifier.year_group_rule is not None:
            names.append(self.classifier.year_group_rule.attribute)
        names += self.settings.attributes
        out: dict[str, str] = {}
        for n in names:
            out.setdefault(n.lower(), n)
        return tuple(out.values())

    def _kept_attributes(self) -> tuple[str, ...]:
        """The attributes identity rules or the settings name, kept raw on each account."""
        names = [mt.attribute for mt in self.classifier.matchers if mt.attribute]
        if self.classifier.year_group_rule is not None:
            names.append(self.classifier.year_group_rule.attribute)
        return tuple(dict.fromkeys([*names, *self.settings.attributes]))

    def _accounts(
        self, policy: DomainPolicy, psos: list[m.Pso] | None, nested: m.Membership
    ) -> Iterator[Account]:
        base = self.settings.user_base or self.base_dn()
        ctx = m.UserContext(
            source=self.name,
            classifier=self.classifier,
            policy=policy,
            psos=tuple(psos) if psos is not None else None,
            membership=nested,
            kept=self._kept_attributes(),
        )
        for e in self.client.search(base, USER_FILTER, self._user_attributes(), prefetch=True):
            yield m.map_user(e.dn, e.raw, ctx)

    def _escrowed(self, base: str) -> set[str] | None:
        """Casefolded DNs of computers with a BitLocker recovery object; None when none is visible.

        Seeing none cannot be told apart from not being allowed to see them (AD
        hides the objects from ordinary accounts), so it is unknown, not "none".
        """
        if not self.settings.bitlocker:
            return None
        parents = {
            m.parent_dn(e.dn).casefold()
            for e in self.client.search(base, "(objectClass=msFVE-RecoveryInformation)", [])
        }
        if not parents:
            log.warning(
                "AD %s: no BitLocker recovery objects are visible to the bind account; disk "
                "encryption is unknown for every computer (grant read on msFVE-RecoveryInformation)",
                self.name,
            )
            return None
        return parents

    def _devices(self) -> Iterator[Device]:
        base = self.settings.computer_base or self.base_dn()
        escrowed = self._escrowed(base)
        for e in self.client.search(base, COMPUTER_FILTER, COMPUTER_ATTRIBUTES, prefetch=True):
            if m.is_disabled(e.raw) and not self.settings.include_disabled_computers:
                continue
            yield m.map_computer(self.name, e.dn, e.raw, escrowed, bitlocker=self.settings.bitlocker)

    # -- Remediator -------------------------------------------------------------------------
    def supported_actions(self) -> frozenset[str]:
        return self._remediator.supported_actions()

    def apply(self, plan: ActionPlan) -> ActionResult:
        return self._remediator.apply(plan)

    def undo(self, result: ActionResult) -> ActionResult:
        return self._remediator.undo(result)


def _beside_config(ref: dict[str, str], base_dir: Path) -> dict[str, str]:
    """A relative ``{file: PATH}`` is relative to the config file, like every other path in it."""
    if "file" in ref and not Path(ref["file"]).expanduser().is_absolute():
        return {**ref, "file": str(base_dir / ref["file"])}
    return ref


def build(name: str, settings: Settings, ctx: BuildContext) -> ADSource:
    bind_dn = ctx.secrets(_beside_config(settings.bind_dn, ctx.base_dir), f"sources.{name}.bind_dn")
    password = ctx.secrets(
        _beside_config(settings.bind_password, ctx.base_dir), f"sources.{name}.bind_password"
    )
    ca_file = None
    if settings.ca_file:
        path = Path(settings.ca_file).expanduser()
        ca_file = str(path if path.is_absolute() else ctx.base_dir / path)
    client = Client(settings, bind_dn, password, ca_file)
    return ADSource(name, settings, client, ctx.classifier)
