"""Connection safety against the real DC: TLS verification, plaintext opt-in, drops, escaping."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from connectors.ad.client import escape
from enforcer.model.errors import SourceError
from enforcer.model.values import Account, Device, DomainPolicy
from tests.connectors.adtools import DC, make_source
from tests.connectors.proxy import CuttingProxy
from tests.services.samba import BASE, HOST, UNTRUSTED_CA_FILE

pytestmark = pytest.mark.samba


def keys(records: list) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    return {(type(r).__name__, r.id) for r in records}


def bound(results: list) -> str:  # type: ignore[type-arg]
    """The bind line of a check, after asserting that the check read the domain root."""
    assert results[1].capability == "domain root" and results[1].ok
    return str(results[0].detail)


def test_ldaps_verifies_the_dc_certificate_with_the_configured_ca(ad, samba_dc: DC) -> None:
    assert bound(ad.check()) == f"bound to {HOST}:636 (ldaps)"


def test_starttls_verifies_too(samba_dc: DC, monkeypatch: pytest.MonkeyPatch) -> None:
    source = make_source(monkeypatch, tls="starttls")
    assert bound(source.check()) == f"bound to {HOST}:389 (starttls)"


@pytest.mark.parametrize("tls", ["ldaps", "starttls"])
def test_untrusted_certificate_is_refused(samba_dc: DC, monkeypatch: pytest.MonkeyPatch, tls: str) -> None:
    source = make_source(monkeypatch, tls=tls, ca_file=str(UNTRUSTED_CA_FILE))
    with pytest.raises(SourceError, match="(?i)certificate verify failed"):
        list(source.collect())


def test_certificate_for_another_name_is_refused(samba_dc: DC, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same DC, same trusted CA, but reached as 127.0.0.2, which its certificate does not name."""
    with CuttingProxy((HOST, 636), cut_after=0, cuts=0, listen="127.0.0.2") as proxy:
        source = make_source(monkeypatch, host="127.0.0.2", port=proxy.port)
        with pytest.raises(SourceError, match="(?i)doesn't match"):
            source.check()
    assert proxy.connections == 1  # refused at once, not retried


def test_system_store_does_not_trust_a_private_ca(samba_dc: DC, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SourceError, match="(?i)certificate"):
        make_source(monkeypatch, ca_file=None).check()


def test_plaintext_only_when_allowed_and_with_a_warning(
    samba_dc: DC, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="connectors.ad.client"):
        source = make_source(monkeypatch, tls="none", allow_plaintext=True, ca_file=None)
    assert "in clear" in caplog.text
    assert bound(source.check()) == f"bound to {HOST}:389 (none)"


def test_wrong_password_is_a_source_error(samba_dc: DC, monkeypatch: pytest.MonkeyPatch) -> None:
    source = make_source(monkeypatch)
    monkeypatch.setattr(source.client, "_password", "not-the-password")
    with pytest.raises(SourceError, match="invalid credentials"):
        source.check()


def test_unreachable_dc_is_a_source_error(samba_dc: DC, monkeypatch: pytest.MonkeyPatch) -> None:
    source = make_source(monkeypatch, port=1, retries=1, retry_delay=0)
    with pytest.raises(SourceError, match="after 2 attempts"):
        list(source.collect())


def test_dropped_connection_mid_search_resumes_without_loss_or_duplicates(
    samba_dc: DC, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    direct = list(make_source(monkeypatch, page_size=3).collect())
    with (
        CuttingProxy((HOST, 636), cut_after=12_000, cuts=1) as proxy,
        caplog.at_level(logging.WARNING, logger="connectors.ad.client"),
    ):
        resumed = list(make_source(monkeypatch, port=proxy.port, page_size=3, retries=2).collect())
    assert proxy.cut == 1 and proxy.connections >= 2
    assert "resuming" in caplog.text
    assert len(resumed) == len(direct) == len(keys(resumed))
    assert keys(resumed) == keys(direct)
    assert {type(r) for r in resumed} == {Account, Device, DomainPolicy}


def test_a_dc_that_goes_away_mid_search_fails_the_source(
    samba_dc: DC, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first connection drops mid-search; every reconnection dies during the TLS handshake."""
    with CuttingProxy((HOST, 636), cut_after=12_000, later_cut_after=0) as proxy:
        source = make_source(monkeypatch, port=proxy.port, page_size=3, retries=2)
        records = source.collect()
        with pytest.raises(SourceError, match="after 3 attempts"):
            list(records)
    assert proxy.cut == 4  # the mid-search drop, then three refused reconnections


@pytest.mark.parametrize(
    ("value", "matches"),
    [
        ("O'Brien (Admin) *", 1),
        ("*", 0),
        ("*)(objectClass=*", 0),
        ("obrien\\", 0),
        ("Support (Temp) *", 1),
    ],
)
def test_hostile_values_are_escaped_in_filters(ad, samba_dc: DC, value: str, matches: int) -> None:
    found = list(ad.client.search(BASE, f"(cn={escape(value)})", ["cn"]))
    assert len(found) == matches
    assert all(e.raw["cn"][0].decode() == value for e in found)


def test_relative_ca_file_is_relative_to_the_config(
    samba_dc: DC, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.services.samba import CA_FILE

    (tmp_path / "ca.pem").write_bytes(CA_FILE.read_bytes())
    monkeypatch.chdir(tmp_path)
    assert bound(make_source(monkeypatch, ca_file="ca.pem").check()).startswith("bound")


def test_a_base_dn_that_does_not_exist_fails_the_source(
    samba_dc: DC, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = make_source(monkeypatch, base_dn="DC=elsewhere,DC=test", user_base=None, computer_base=None)
    with pytest.raises(SourceError, match="not visible"):
        list(source.collect())


def test_base_dn_defaults_to_the_rootdse_naming_context(
    samba_dc: DC, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert make_source(monkeypatch).base_dn() == BASE
