"""A secret echoed back encoded is still the secret: redaction covers every form it travels in.

A server that repeats what it was sent (an SMTP ``AUTH PLAIN`` line, a Basic header, a whole
LDAP bind request) repeats base64, URL-encoding or escapes, never the bare password. The canary
here holds a space, ``@``, ``/``, ``+``, both quotes, a backslash and a non-ASCII letter, so that
every encoding below differs from the raw text and from each other. The expected forms are
computed here with the standard library, independently of ``enforcer.secrets``; base64 leaks are
found by decoding every base64-looking run in the output at every alignment (``b64_leaks``).
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from enforcer.logs import redact
from tests.hardening.conftest import AS_OF, child_env, run_child, write_config

CANARY = "CANARY p@ss/wörd+'\"\\~?>>9f0"
RAW = CANARY.encode()
WRAP = "server said: [{}] (code 49)"

FORMS: dict[str, Callable[[str], str]] = {
    "raw": lambda s: s,
    "base64": lambda s: base64.b64encode(s.encode()).decode(),
    "base64-unpadded": lambda s: base64.b64encode(s.encode()).decode().rstrip("="),
    "base64-urlsafe": lambda s: base64.urlsafe_b64encode(s.encode()).decode(),
    "base64-urlsafe-unpadded": lambda s: base64.urlsafe_b64encode(s.encode()).decode().rstrip("="),
    "quote": lambda s: quote(s),
    "quote-nothing-safe": lambda s: quote(s, safe=""),
    "quote_plus": lambda s: quote_plus(s),
    "json": lambda s: json.dumps(s)[1:-1],
    "json-utf8": lambda s: json.dumps(s, ensure_ascii=False)[1:-1],
    "repr": lambda s: repr(s)[1:-1],
    "ascii": lambda s: ascii(s)[1:-1],
    "bytes-repr": lambda s: repr(s.encode())[2:-1],
    "hex": lambda s: s.encode().hex(),
    "HEX": lambda s: s.encode().hex().upper(),
}

_B64_RUN = re.compile(rb"[A-Za-z0-9+/_-]{4,}")


def b64_leaks(text: str | bytes, secret: bytes = RAW) -> bool:
    """Whether any base64 run in ``text`` decodes (from any of its four character offsets) to
    bytes holding the secret less two bytes at each end: the characters straddling the edges of a
    masked run may carry those, and nothing more."""
    blob = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    core = secret[2:-2]
    for m in _B64_RUN.finditer(blob):
        run = m.group().replace(b"-", b"+").replace(b"_", b"/")
        for start in range(4):
            piece = run[start:]
            if core in base64.b64decode(piece[: len(piece) // 4 * 4]):
                return True
    return False


@pytest.mark.parametrize("form", sorted(set(FORMS) - {"raw"}))  # raw: test_secrets.py
def test_each_encoding_is_redacted_inside_longer_text(form: str) -> None:
    # A form equal to another would be tested twice and one form not at all.
    assert len({f(CANARY) for f in FORMS.values()}) == len(FORMS)
    encoded = FORMS[form](CANARY)
    out = redact(WRAP.format(encoded), [CANARY])
    assert out == WRAP.format("***"), out  # whole form masked (no stray '=' or '%'); text kept
    assert not b64_leaks(out)


@pytest.mark.parametrize("alphabet", ["standard", "urlsafe"])
@pytest.mark.parametrize("after", [b"", b"\x00tail", b"z"])
@pytest.mark.parametrize("before", [b"", b"\x00", b"\x00u", b"\x00us", b"\x00use", b"\x00user"])
def test_base64_of_text_holding_the_secret_is_redacted_at_every_alignment(
    before: bytes, after: bytes, alphabet: str
) -> None:
    """The secret can start at any byte of the encoded text: each of the three offsets modulo 3
    (twice over), with the secret ending the text (padding) or followed by more."""
    encode = base64.b64encode if alphabet == "standard" else base64.urlsafe_b64encode
    echoed = encode(before + RAW + after).decode()
    assert b64_leaks(echoed)  # the oracle sees the leak before redaction
    out = redact(f"535 5.7.8 rejected {echoed} for you", [CANARY])
    assert "***" in out and out.startswith("535 5.7.8 rejected ") and out.endswith(" for you")
    assert not b64_leaks(out), out


@pytest.mark.parametrize("authzid", ["", "admin"])
@pytest.mark.parametrize("user", ["", "a", "ab", "digest", "enforcer@school.example"])
def test_smtp_auth_plain_line_is_redacted_whatever_the_user(user: str, authzid: str) -> None:
    """``AUTH PLAIN base64(authzid \\0 user \\0 password)``: the user is not known to the redactor."""
    line = base64.b64encode(f"{authzid}\0{user}\0{CANARY}".encode()).decode()
    out = redact(f"501 5.5.4 malformed: AUTH PLAIN {line}", [CANARY])
    assert out.startswith("501 5.5.4 malformed: AUTH PLAIN ") and out.endswith("***")
    assert not b64_leaks(out), out


def test_secret_read_from_env_is_registered_in_every_form(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Registration happens where the secret is read, so the log filter and ``redact()`` with no
    argument (what the reports, the store and the terminal use) both know every form."""
    from enforcer.logs import setup_logging
    from enforcer.secrets import read_secret

    monkeypatch.setenv("CANARY_ENCODED", CANARY)
    read_secret({"env": "CANARY_ENCODED"}, "test")
    text = " | ".join(f"{name}={f(CANARY)}" for name, f in FORMS.items())
    redacted = redact(text)
    assert redacted == " | ".join(f"{name}=***" for name in FORMS)
    setup_logging(verbose=False)
    logging.getLogger("enforcer.test").warning("server echoed %s", text)
    err = capsys.readouterr().err
    assert redacted in err
    for name, f in FORMS.items():
        assert f(CANARY) not in err, name
    assert not b64_leaks(err)
    assert (
        redact("nothing secret here: dGVzdA== 74657374 a%20b")
        == "nothing secret here: dGVzdA== 74657374 a%20b"
    )


def test_secret_with_an_undecodable_byte_is_registered_and_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    """A byte that is not UTF-8 in an environment variable reaches Python as a lone surrogate and
    leaves for the server as that byte: registering it must not fail, and its encodings of the
    bytes actually sent must be masked."""
    from enforcer.secrets import read_secret

    sent = b"CANARY-\xff-raw-byte-6a0c"
    monkeypatch.setenv("CANARY_BYTES", sent.decode("utf-8", "surrogateescape"))
    read_secret({"env": "CANARY_BYTES"}, "test")
    for echoed in (base64.b64encode(b"\0digest\0" + sent).decode(), quote(sent), sent.hex()):
        assert redact(f"echo {echoed} end").startswith("echo "), echoed
        assert echoed not in redact(f"echo {echoed} end")
    assert not b64_leaks(redact(base64.b64encode(b"\0digest\0" + sent).decode()), sent)


@pytest.mark.parametrize(
    "url_password, env_password",
    [
        pytest.param("CANARY-pg pass%zz-8d1e", "CANARY-pg pass%zz-8d1e", id="same-secret-in-env-and-url"),
        pytest.param("CANARY-url-only%zz-41c7", "CANARY-pg-env-55b0", id="url-password-never-registered"),
    ],
)
def test_malformed_postgresql_url_does_not_print_its_password(
    tmp_path: Path, url_password: str, env_password: str
) -> None:
    """libpq quotes the piece of a URL it cannot parse, and a password with a space or a stray
    ``%`` is that piece. A password pasted into the URL was never read as a secret, so redaction
    cannot know it: the quoted piece itself must go."""
    pytest.importorskip("psycopg")
    url = f"postgresql://enforcer:{url_password}@127.0.0.1:5432/enforcer"
    config = write_config(tmp_path, [], store={"url": url, "password": {"env": "CANARY_PG"}})
    env = child_env(CANARY_PG=env_password, ENFORCER_HOME=str(tmp_path / "home"))
    res = run_child(["--verbose", "run", "--config", str(config), "--as-of", AS_OF], env, tmp_path)
    assert res.returncode == 2, res.stderr
    assert "not a valid PostgreSQL URL" in res.stderr
    for secret in {url_password, env_password}:
        for name, f in FORMS.items():
            assert f(secret) not in res.stdout + res.stderr, f"{name} form of the password on the terminal"
        assert not b64_leaks(res.stderr, secret.encode())
    assert "CANARY" not in res.stdout + res.stderr  # not even the piece of it libpq quotes
