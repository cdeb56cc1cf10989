"""A deterministic estate: many demo schools, one gzip snapshot each, written one school at a time.

Why it exists: a multi-academy trust runs about 20 schools and a contractor hundreds, and the
engine must be measured (and demonstrated) at that size without real pupils' data. Each school
is the built-in demo school (``connectors.demo.generator``) with its own seed, name, domain and
sizes, so every school carries the same realistic sprinkling of planted violations.

Determinism: a school's seed, name and sizes depend only on the estate seed and the school's
index, and every date is relative to one reference day, so the same seed and reference day give
the same bytes (gzip is written with a zero timestamp). Memory: only one school (about 800
records) is held at a time; the manifest keeps a few counts per school, never records.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

from connectors.demo.generator import generate
from connectors.demo.settings import Settings
from connectors.snapshot.source import SnapshotWriter
from enforcer.model.errors import InputError, UsageError

MANIFEST = "estate.json"
CONFIG = "enforcer.yaml"
DEFAULT_REFERENCE = date(2026, 3, 1)
"""Fixed, so the same seed gives the same bytes whatever day the generator runs."""
ONE_SCHOOL = (500, 300)
"""About 500 accounts and 300 devices: a two-form-entry primary school."""

# Invented place-name parts: combined, they sound like English villages and name nobody.
_STEMS = (
    "Ash",
    "Oak",
    "Elm",
    "Birch",
    "Hazel",
    "Holly",
    "Willow",
    "Thorn",
    "Bramble",
    "Alder",
    "Rowan",
    "Maple",
    "Cedar",
    "Heather",
    "Fern",
    "Moss",
    "Brook",
    "Mill",
    "Stone",
    "Marsh",
    "Kings",
    "Queens",
    "Church",
    "Castle",
    "Bridge",
    "Wood",
    "Hill",
    "Green",
    "Fair",
    "Long",
    "Red",
    "White",
    "Black",
    "North",
    "South",
    "East",
    "West",
    "High",
    "Low",
    "Old",
)
_ENDS = (
    "field",
    "ford",
    "wood",
    "bury",
    "ton",
    "ley",
    "combe",
    "dale",
    "well",
    "worth",
    "brook",
    "hurst",
    "stead",
    "mead",
    "gate",
    "bridge",
    "moor",
    "haven",
    "side",
    "croft",
    "holme",
    "thorpe",
    "wick",
    "minster",
    "cote",
)
_TYPES = (
    "Primary School",
    "Church of England Primary School",
    "Community Primary School",
    "Primary Academy",
    "Infant and Junior School",
    "Village Primary School",
)
_COMBOS = len(_STEMS) * len(_ENDS) * len(_TYPES)


@dataclass(frozen=True, slots=True)
class EstateSpec:
    schools: int
    seed: int
    reference: date = DEFAULT_REFERENCE
    accounts_per_school: int = ONE_SCHOOL[0]
    devices_per_school: int = ONE_SCHOOL[1]

    def __post_init__(self) -> None:
        if self.schools < 1:
            raise UsageError("an estate needs at least one school")
        if not 20 <= self.accounts_per_school <= 50_000:
            raise UsageError("accounts per school must be between 20 and 50000")
        if not 0 <= self.devices_per_school <= 100_000:
            raise UsageError("devices per school must be between 0 and 100000")


@dataclass(frozen=True, slots=True)
class SchoolEntry:
    """One line of the manifest: enough for a configuration to point a snapshot source at it."""

    index: int
    source: str
    school: str
    seed: int
    file: str
    accounts: int
    devices: int
    pupils: int
    records: int


def schools_for(
    objects: int, accounts_per_school: int = ONE_SCHOOL[0], devices_per_school: int = ONE_SCHOOL[1]
) -> int:
    """How many schools make about ``objects`` accounts and devices (the estate sizes in the bench)."""
    return max(1, math.ceil(objects / (accounts_per_school + devices_per_school)))


def school_seed(seed: int, index: int) -> int:
    """A seed per school that does not depend on Python's hash randomisation or the school count."""
    digest = hashlib.sha256(f"enforcer-estate:{seed}:{index}".encode()).digest()
    return int.from_bytes(digest[:6], "big")


def school_name(seed: int, index: int) -> str:
    """Unique within an estate (up to 6,000 schools, then numbered), stable for a given seed and index."""
    offset = school_seed(seed, -1) % _COMBOS
    n = (offset + index * 7919) % _COMBOS  # 7919 is prime and coprime to _COMBOS: a permutation
    stem, rest = divmod(n, len(_ENDS) * len(_TYPES))
    end, kind = divmod(rest, len(_TYPES))
    name = f"{_STEMS[stem]}{_ENDS[end]} {_TYPES[kind]}"
    return name if index < _COMBOS else f"{name} ({index // _COMBOS + 1})"


def school_settings(spec: EstateSpec, index: int) -> Settings:
    """The demo generator's settings for school ``index``: its counts aim at ``accounts_per_school``.

    The demo school adds a few accounts of its own (leavers, an orphan, unclassifiable accounts),
    and pupils in Nursery and Reception have no account, hence the arithmetic: about 12% staff,
    a few volunteers and service accounts, and the rest pupils from Year 1 up.
    """
    a = spec.accounts_per_school
    staff = max(1, round(a * 0.12))
    volunteers = min(8, a // 50)
    services = min(6, a // 80)
    with_account = max(1, a - staff - volunteers - services - 12)
    pupils = round(with_account * 7.5 / 6)  # Nursery is half a year; Nursery and Reception have no account
    name = school_name(spec.seed, index)
    slug = "".join(ch for ch in name.lower().split(" ")[0] if ch.isalnum())
    return Settings(
        seed=school_seed(spec.seed, index),
        school=name,
        domain=f"s{index:05d}-{slug}.example",
        pupils=pupils,
        staff=staff,
        volunteers=volunteers,
        service_accounts=services,
        devices=spec.devices_per_school,
        reference_date=spec.reference,
    )


def source_name(index: int) -> str:
    return f"school-{index + 1:05d}"


def snapshot_name(index: int) -> str:
    return f"{source_name(index)}.jsonl.gz"


def write_estate(
    spec: EstateSpec, out_dir: str | Path, progress: Callable[[SchoolEntry], None] | None = None
) -> list[SchoolEntry]:
    """Write one snapshot per school, the manifest ``estate.json`` and a configuration
    ``enforcer.yaml`` naming every school; returns the manifest entries.

    Each school is generated, written and dropped before the next, so memory stays at one
    school whatever the estate's size.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the estate folder: {exc.strerror}", str(out)) from None
    exported = datetime.combine(spec.reference, time(0, 0), tzinfo=UTC)
    entries: list[SchoolEntry] = []
    for index in range(spec.schools):
        settings = school_settings(spec, index)
        source = source_name(index)
        school = generate(settings, source)
        with SnapshotWriter(
            out / snapshot_name(index), school=settings.school, source=source, exported=exported
        ) as writer:
            for record in school.records():
                writer.write(record)
        entry = SchoolEntry(
            index=index,
            source=source,
            school=settings.school,
            seed=settings.seed,
            file=snapshot_name(index),
            accounts=len(school.accounts),
            devices=len(school.devices),
            pupils=len(school.roster),
            records=writer.count,
        )
        entries.append(entry)
        del school
        if progress is not None:
            progress(entry)
    _write_manifest(spec, out, entries)
    _write_config(out, entries)
    return entries


def _write_config(out: Path, entries: list[SchoolEntry]) -> None:
    """``enforcer.yaml`` beside the snapshots: the whole estate, ready for ``enforcer run --config``."""
    lines = [
        "# Written by `enforcer demo generate`: every school of this estate, each read from its snapshot.",
        "# Dates in the snapshots are relative to the estate's reference day: run with the same --as-of.",
        "version: 1",
        "policy: primary-school",
        "schools:",
    ]
    lines += [
        f"  - {{id: {e.source}, name: {json.dumps(e.school)}, sources: "
        f"[{{name: {e.source}, type: snapshot, path: {e.file}}}]}}"
        for e in entries
    ]
    tmp = out / f".{CONFIG}.tmp"
    try:
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        os.replace(tmp, out / CONFIG)
    except OSError as exc:
        raise InputError(
            f"cannot write the estate configuration: {exc.strerror}", str(out / CONFIG)
        ) from None


def _write_manifest(spec: EstateSpec, out: Path, entries: list[SchoolEntry]) -> None:
    doc = {
        "format": "enforcer.estate",
        "version": 1,
        "seed": spec.seed,
        "reference": spec.reference.isoformat(),
        "accounts_per_school": spec.accounts_per_school,
        "devices_per_school": spec.devices_per_school,
        "totals": {
            k: sum(getattr(e, k) for e in entries) for k in ("accounts", "devices", "pupils", "records")
        },
        "schools": [
            {
                "source": e.source,
                "school": e.school,
                "seed": e.seed,
                "file": e.file,
                "accounts": e.accounts,
                "devices": e.devices,
                "pupils": e.pupils,
            }
            for e in entries
        ],
    }
    tmp = out / f".{MANIFEST}.tmp"
    try:
        tmp.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, out / MANIFEST)
    except OSError as exc:
        raise InputError(f"cannot write the estate manifest: {exc.strerror}", str(out / MANIFEST)) from None


def write_config(out_dir: str | Path) -> Path:
    """(Re)write ``enforcer.yaml`` from the manifest, for an estate written before it existed."""
    doc = read_manifest(out_dir)
    entries = [
        SchoolEntry(
            index=i,
            source=s["source"],
            school=s["school"],
            seed=s["seed"],
            file=s["file"],
            accounts=s["accounts"],
            devices=s["devices"],
            pupils=s["pupils"],
            records=0,
        )
        for i, s in enumerate(doc["schools"])
    ]
    _write_config(Path(out_dir), entries)
    return Path(out_dir) / CONFIG


def read_manifest(out_dir: str | Path) -> dict:
    """The manifest as written (``schools``: source, school, file and counts)."""
    path = Path(out_dir) / MANIFEST
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("no estate manifest here (run `enforcer demo generate` first)", str(path)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"unreadable estate manifest: {exc}", str(path)) from None
    if not isinstance(doc, dict) or doc.get("format") != "enforcer.estate":
        raise InputError("not an enforcer estate manifest", str(path))
    return doc


def snapshot_paths(out_dir: str | Path) -> Iterator[tuple[str, Path]]:
    """(source name, snapshot path) for every school in the manifest, in order."""
    doc = read_manifest(out_dir)
    for school in doc["schools"]:
        yield school["source"], Path(out_dir) / school["file"]
