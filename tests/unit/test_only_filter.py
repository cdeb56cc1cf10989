"""``audit --only`` narrows what is read and which rules run, and invents nothing.

Before: roster entries passed a devices-only filter, so every pupil "had no account" (336
failures out of nowhere). Each narrowed audit must equal the matching slice of the full one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from enforcer.cli.main import main

AS_OF = "2026-03-01"


def _findings(tmp_path: Path, *args: str) -> list[dict[str, object]]:
    out = tmp_path / f"audit{len(list(tmp_path.iterdir()))}.json"
    assert main(["audit", "--as-of", AS_OF, "--format", "json", "--output", str(out), *args]) == 1
    return sorted(
        json.loads(out.read_text(encoding="utf-8"))["findings"], key=lambda f: str(f["fingerprint"])
    )


@pytest.mark.parametrize(("only", "kinds"), [("devices", {"device"}), ("accounts", {"account", "pupil"})])
def test_only_is_the_matching_slice_of_the_full_audit(tmp_path: Path, only: str, kinds: set[str]) -> None:
    full = _findings(tmp_path)
    narrowed = _findings(tmp_path, "--only", only)
    assert narrowed == [f for f in full if f["subject"]["kind"] in kinds]  # type: ignore[index]
    assert narrowed
