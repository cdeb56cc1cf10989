"""What a filter names, resolved before anything is listed: a filter that matches nothing is
an error naming the valid values, never an empty listing that reads as good news.

Schools are matched by id or name, case-insensitively, against the configuration and the
store (an estate's folders and configs use ids; the store records names). Rules are checked
against the configured packs and the store. ``latest`` names the newest run. Shared by the
CLI and the console so both answer the same way.
"""

from __future__ import annotations

from enforcer.config import Config
from enforcer.model.errors import UsageError
from enforcer.rules.loader import load_pack
from enforcer.store import Store, records, runs


def school(config: Config, store: Store, text: str | None) -> str | None:
    """The stored school name a ``--school`` value means (None when no filter was given)."""
    if text is None:
        return None
    wanted = text.strip().casefold()
    names: dict[str, str] = {}
    for sc in config.schools:
        names[sc.id.casefold()] = sc.name
        names[sc.name.casefold()] = sc.name
    for name in runs.schools(store.db):
        names.setdefault(name.casefold(), name)
    if wanted in names:
        return names[wanted]
    valid = sorted({sc.id for sc in config.schools if config.multi_school} | set(names.values()))
    raise UsageError(f"no school {text!r} (known: {', '.join(valid) or 'none yet: run `enforcer run`'})")


def rule(config: Config, store: Store, text: str | None) -> str | None:
    """A ``--rule`` value checked against the configured packs and the rules in the store."""
    if text is None:
        return None
    known = set(records.rules_seen(store.db))
    for policy in {sc.policy for sc in config.schools} or {config.model.policy}:
        known.update(r.id for r in load_pack(policy, config.base_dir).rules)
    if text in known:
        return text
    folded = {k.casefold(): k for k in known}
    if text.casefold() in folded:
        return folded[text.casefold()]
    raise UsageError(f"no rule {text!r} (known: {', '.join(sorted(known))})")


def run_id(store: Store, text: str, school_name: str | None = None) -> str:
    """A run id, or ``latest`` for the newest run (of ``school_name`` when given)."""
    if text.casefold() == "latest":
        found = runs.latest_id(store.db, school_name)
        if found is None:
            raise UsageError("no runs recorded yet: run `enforcer run` first")
        return found
    if runs.get_run(store.db, text) is None:
        recent = [r.id for r in runs.list_runs(store.db, school_name, 5)]
        raise UsageError(
            f"no run {text!r} in the store (latest: {', '.join(recent) or 'none'}; or say `latest`)"
        )
    return text
