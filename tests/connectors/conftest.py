"""Fixtures for the AD connector: one real Samba DC for the whole session.

A DC that cannot be started skips the samba tests with the reason, except under
CI (env ``CI`` set), where it fails loudly: CI must run them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from connectors.ad.source import ADSource
from tests.connectors.adtools import DC, make_source
from tests.connectors.school import after_start, load_school
from tests.services.samba import DCUnavailable, SambaDC


@pytest.fixture(scope="session")
def samba_dc() -> Iterator[DC]:
    dc = SambaDC()
    try:
        dc.provision()
    except BaseException as exc:
        dc.destroy()  # never leave a half-provisioned domain behind
        if not isinstance(exc, DCUnavailable):
            raise
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Samba tests but no DC could be started: {exc}")
        pytest.skip(f"no Samba AD DC on this machine: {exc}")
    try:
        loaded_at = load_school(dc)
        dc.start()
        after_start(dc)
        yield DC(dc, loaded_at)
    finally:
        dc.destroy()


@pytest.fixture()
def ad(samba_dc: DC, monkeypatch: pytest.MonkeyPatch) -> ADSource:
    return make_source(monkeypatch)
