"""The test school loaded into a fresh DC: who is in it and what is wrong with it.

tests/data/ad/school.ldif is the data; this module fills its dates relative to
now and gives the bind accounts their passwords. Tests compare against the
expectations written beside each entry there and in test_ad_*.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tests.services.samba import BASE, DATA, SambaDC, render

SCHOOL_OU = f"OU=School,{BASE}"
READER_DN = f"CN=reader,CN=Users,{BASE}"
READER_PASSWORD = "Reader-Pass!2026"
SCHOOL_ENTRIES = 44


def load_school(dc: SambaDC, now: datetime | None = None) -> datetime:
    """Load before ``dc.start()``; returns the "now" the dates were computed from."""
    now = now or datetime.now(UTC)
    dc.add_ldif(render((DATA / "school.ldif").read_text(), now), expected=SCHOOL_ENTRIES)
    dc.modify_ldif(render((DATA / "school-modify.ldif").read_text(), now), expected=1)
    return now


def after_start(dc: SambaDC) -> None:
    dc.set_password(READER_DN, READER_PASSWORD)
