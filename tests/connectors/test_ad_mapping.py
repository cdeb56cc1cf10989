"""The AD mapping's special cases, without a server (the samba tests cover the same on a DC)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from connectors.ad import mapping as m
from connectors.ad.client import escape, escape_bytes
from connectors.ad.settings import Settings
from enforcer.model.values import PasswordSettings, Platform

SECRETS = {"bind_dn": {"env": "X"}, "bind_password": {"env": "Y"}}


def test_filetime_special_values() -> None:
    assert m.filetime(0) is None
    assert m.filetime(None) is None
    assert m.filetime(m.NEVER) is None
    assert m.filetime(116444736000000000) == datetime(1970, 1, 1, tzinfo=UTC)


def test_pwdlastset_zero_means_must_change_and_no_date() -> None:
    assert m.password_fields(0) == m.PasswordFields(None, True)
    assert m.password_fields(None) == m.PasswordFields(None, None)
    assert m.password_fields(116444736000000000) == m.PasswordFields(datetime(1970, 1, 1, tzinfo=UTC), False)


@pytest.mark.parametrize("raw", [0, m.NEVER])
def test_account_expires_never(raw: int) -> None:
    assert m.expiry(raw) == (False, None)


def test_account_expires_set_and_unknown() -> None:
    assert m.expiry(116444736000000000) == (True, datetime(1970, 1, 1, tzinfo=UTC))
    assert m.expiry(None) == (None, None)


def test_interval_days() -> None:
    assert m.interval_days(-36288000000000) == 42
    assert m.interval_days(0) == 0
    assert m.interval_days(-(2**63)) == 0  # "never" as AD writes it
    assert m.interval_days(None) is None


def test_uac_flags_unknown_when_unreadable() -> None:
    assert m.flag(None, m.ACCOUNTDISABLE) is None
    assert m.flag(512 | m.DONT_EXPIRE_PASSWORD, m.DONT_EXPIRE_PASSWORD) is True
    assert m.flag(512, m.ENCRYPTED_TEXT_PWD_ALLOWED) is False


@pytest.mark.parametrize(
    ("os_name", "expected"),
    [
        ("Windows 11 Pro", Platform.WINDOWS),
        ("Windows Server 2022 Standard", Platform.WINDOWS),
        ("Mac OS X", Platform.MACOS),
        ("Ubuntu", Platform.LINUX),
        ("OneFS", None),
        (None, None),
        ("", None),
    ],
)
def test_platform(os_name: str | None, expected: Platform | None) -> None:
    assert m.platform(os_name) is expected


def test_os_version_windows_build_normalised() -> None:
    assert m.os_version("10.0 (22631)") == "10.0.22631"
    assert m.os_version("14.5") == "14.5"
    assert m.os_version(None) is None


def _pso(name: str, precedence: int, *targets: str, guid: bytes = b"\x01") -> m.Pso:
    return m.Pso(PasswordSettings(name=name, precedence=precedence, applies_to=targets), name, guid)


def test_winning_pso_direct_link_beats_group_precedence() -> None:
    user = "CN=u,DC=x"
    psos = [_pso("group", 1, "CN=g,DC=x"), _pso("direct", 99, "cn=U,dc=x")]
    assert m.winning_pso(user, ["CN=g,DC=x"], psos).settings.name == "direct"  # type: ignore[union-attr]


def test_winning_pso_lowest_precedence_then_lowest_guid() -> None:
    psos = [_pso("b", 10, "CN=g1"), _pso("a", 5, "CN=g2"), _pso("c", 5, "CN=g3", guid=b"\x00")]
    assert m.winning_pso("CN=u", ["cn=G1", "CN=g2", "CN=g3"], psos).settings.name == "c"  # type: ignore[union-attr]
    assert m.winning_pso("CN=u", ["CN=other"], psos) is None


def test_effective_policy_unknown_when_psos_unreadable() -> None:
    policy = m.domain_policy(
        "ad", "DC=x", "x", {"maxpwdage": [b"-36288000000000"], "minpwdlength": [b"7"]}, ()
    )
    assert m.effective_policy("CN=u", [], policy, None) == (None, None)
    assert m.effective_policy("CN=u", [], policy, []) == (42, 7)


@pytest.mark.parametrize(
    ("hostile", "escaped"),
    [
        ("*", r"\2a"),
        ("a)(objectClass=*", r"a\29\28objectClass=\2a"),
        ("back\\slash", r"back\5cslash"),
        ("nul\x00", r"nul\00"),
        ("O'Brien (Admin) *", r"O'Brien \28Admin\29 \2a"),
    ],
)
def test_filter_escaping(hostile: str, escaped: str) -> None:
    assert escape(hostile) == escaped


def test_escape_bytes() -> None:
    assert escape_bytes(b"\x00\x2a\xff") == r"\00\2a\ff"


def test_parent_dn_honours_escaped_commas() -> None:
    assert m.parent_dn(r"CN=Smith\, J,OU=Staff,DC=x") == "OU=Staff,DC=x"


def test_sid_string() -> None:
    raw = (
        bytes([1, 4, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0])
        + (1).to_bytes(4, "little")
        + (2).to_bytes(4, "little")
        + (3).to_bytes(4, "little")
    )
    assert m.sid_string(raw) == "S-1-5-21-1-2-3"


def test_plaintext_needs_explicit_opt_in() -> None:
    with pytest.raises(ValidationError, match="allow_plaintext"):
        Settings.model_validate({"host": "dc", "tls": "none", **SECRETS})
    ok = Settings.model_validate({"host": "dc", "tls": "none", "allow_plaintext": True, **SECRETS})
    assert ok.effective_port == 389
    assert Settings.model_validate({"host": "dc", **SECRETS}).effective_port == 636


def test_settings_forbid_unknown_keys_and_bare_secrets() -> None:
    with pytest.raises(ValidationError):
        Settings.model_validate({"host": "dc", "passwrd": "x", **SECRETS})
    with pytest.raises(ValidationError):
        Settings.model_validate({"host": "dc", "bind_dn": "CN=x", "bind_password": "hunter2"})


def test_settings_import_does_not_load_ldap3() -> None:
    import subprocess
    import sys

    code = "import sys, connectors.ad.settings; sys.exit('ldap3' in sys.modules)"
    assert (
        subprocess.run(
            [sys.executable, "-c", code], cwd=str(__import__("pathlib").Path(__file__).parents[2])
        ).returncode
        == 0
    )


def test_prefetch_keeps_order_and_everything() -> None:
    from connectors.ad.prefetch import prefetched

    assert list(prefetched(iter(range(2503)), batch=1000)) == list(range(2503))


def test_prefetch_hands_worker_errors_to_the_consumer_after_the_data_before_them() -> None:
    from connectors.ad.prefetch import prefetched
    from enforcer.model.errors import SourceError

    def items() -> Iterator[int]:
        yield from range(5)
        raise SourceError("DC went away")

    got: list[int] = []
    with pytest.raises(SourceError, match="went away"):
        for x in prefetched(items(), batch=2):
            got.append(x)
    assert got == [0, 1, 2, 3, 4]


def test_prefetch_stops_its_worker_when_the_consumer_stops() -> None:
    import threading

    from connectors.ad.prefetch import prefetched

    def endless() -> Iterator[int]:
        n = 0
        while True:
            yield n
            n += 1

    gen = prefetched(endless(), batch=10)
    assert next(gen) == 0
    gen.close()
    assert not any(t.name == "ad-prefetch" and t.is_alive() for t in threading.enumerate())
