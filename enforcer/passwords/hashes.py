"""How is each password stored? Classifying hashes from an export, without cracking any.

The policies promise that passwords are stored with non-reversible encryption.
This module names the scheme of each stored value (with passlib's own
``identify``, via libpass) and gives a verdict:

- ``plaintext``  the password itself is stored ({CLEARTEXT}, no recognisable scheme, empty);
- ``reversible`` the password can be recovered from what is stored (LM);
- ``weak``       a fast or broken hash: unsalted or single-round MD5/SHA-1/SHA-2, DES crypt,
                 MD5-crypt, NT (MD4);
- ``strong``     salted and deliberately slow (argon2, bcrypt, scrypt, PBKDF2, SHA-crypt,
                 yescrypt) and {SSHA256}/{SSHA512}, which the policies accept;
- ``locked`` / ``external`` no password is stored here (``!``/``*``, {SASL}, {KERBEROS});
- ``unknown``    a scheme prefix we do not recognise: flagged, since unknown is never a pass.

A result never carries the stored value, only its scheme, so reports are safe to share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache


class Storage(StrEnum):
    PLAINTEXT = "plaintext"
    REVERSIBLE = "reversible"
    WEAK = "weak"
    STRONG = "strong"
    LOCKED = "locked"
    EXTERNAL = "external"
    UNKNOWN = "unknown"

    @property
    def flagged(self) -> bool:
        return self in _FLAGGED


_FLAGGED = frozenset({Storage.PLAINTEXT, Storage.REVERSIBLE, Storage.WEAK, Storage.UNKNOWN})


@dataclass(frozen=True, slots=True)
class Scheme:
    label: str
    storage: Storage
    why: str


S, W, R = Storage.STRONG, Storage.WEAK, Storage.REVERSIBLE
_SLOW = "salted and deliberately slow to compute"
_FAST_SALTED = "salted, but a single fast hash: billions of guesses a second on a graphics card"
_FAST = "unsalted single fast hash: equal passwords give equal hashes and billions of guesses a second work"
_DES = "DES crypt: only the first 8 characters count, and it is cracked in minutes"

SCHEMES: dict[str, Scheme] = {
    # passlib handler name -> verdict. Strong first.
    "argon2": Scheme("argon2", S, "memory-hard, current best practice"),
    "django_argon2": Scheme("argon2 (Django)", S, "memory-hard, current best practice"),
    "bcrypt": Scheme("bcrypt", S, _SLOW),
    "bcrypt_sha256": Scheme("bcrypt-sha256", S, _SLOW),
    "django_bcrypt": Scheme("bcrypt (Django)", S, _SLOW),
    "django_bcrypt_sha256": Scheme("bcrypt-sha256 (Django)", S, _SLOW),
    "ldap_bcrypt": Scheme("{CRYPT} bcrypt", S, _SLOW),
    "scrypt": Scheme("scrypt", S, "memory-hard and salted"),
    "sha512_crypt": Scheme("SHA-512-crypt", S, _SLOW + " (5,000 rounds or more)"),
    "sha256_crypt": Scheme("SHA-256-crypt", S, _SLOW + " (5,000 rounds or more)"),
    "ldap_sha512_crypt": Scheme("{CRYPT} SHA-512-crypt", S, _SLOW + " (5,000 rounds or more)"),
    "ldap_sha256_crypt": Scheme("{CRYPT} SHA-256-crypt", S, _SLOW + " (5,000 rounds or more)"),
    "pbkdf2_sha512": Scheme("PBKDF2-SHA512", S, _SLOW),
    "pbkdf2_sha256": Scheme("PBKDF2-SHA256", S, _SLOW),
    "pbkdf2_sha1": Scheme("PBKDF2-SHA1", S, _SLOW),
    "ldap_pbkdf2_sha512": Scheme("{PBKDF2-SHA512}", S, _SLOW),
    "ldap_pbkdf2_sha256": Scheme("{PBKDF2-SHA256}", S, _SLOW),
    "ldap_pbkdf2_sha1": Scheme("{PBKDF2}", S, _SLOW),
    "django_pbkdf2_sha256": Scheme("PBKDF2-SHA256 (Django)", S, _SLOW),
    "django_pbkdf2_sha1": Scheme("PBKDF2-SHA1 (Django)", S, _SLOW),
    "grub_pbkdf2_sha512": Scheme("PBKDF2-SHA512 (GRUB)", S, _SLOW),
    "atlassian_pbkdf2_sha1": Scheme("{PKCS5S2} PBKDF2", S, _SLOW),
    "scram": Scheme("SCRAM (PBKDF2)", S, _SLOW),
    "ldap_salted_sha512": Scheme(
        "{SSHA512}",
        S,
        "salted SHA-512: accepted by the policies; argon2 or "
        "PBKDF2 are better where the directory supports them",
    ),
    "ldap_salted_sha256": Scheme(
        "{SSHA256}",
        S,
        "salted SHA-256: accepted by the policies; argon2 or "
        "PBKDF2 are better where the directory supports them",
    ),
    # Weak: fast, unsalted, truncating or broken.
    "ldap_salted_sha1": Scheme("{SSHA}", W, _FAST_SALTED),
    "ldap_salted_md5": Scheme("{SMD5}", W, _FAST_SALTED),
    "ldap_md5": Scheme("{MD5}", W, _FAST),
    "ldap_sha1": Scheme("{SHA}", W, _FAST),
    "ldap_hex_md5": Scheme("{MD5} (hex)", W, _FAST),
    "ldap_hex_sha1": Scheme("{SHA} (hex)", W, _FAST),
    "md5_crypt": Scheme("MD5-crypt", W, "1,000 rounds of MD5: its own author called it unsafe in 2012"),
    "apr_md5_crypt": Scheme("Apache MD5 (apr1)", W, "1,000 rounds of MD5: Apache recommends bcrypt instead"),
    "ldap_md5_crypt": Scheme("{CRYPT} MD5-crypt", W, "1,000 rounds of MD5: its own author called it unsafe"),
    "sha1_crypt": Scheme("SHA1-crypt", W, "an old iterated SHA-1 scheme; use SHA-512-crypt or better"),
    "sun_md5_crypt": Scheme("Sun MD5-crypt", W, "an old iterated MD5 scheme"),
    "phpass": Scheme("phpass", W, "iterated MD5: fast on graphics cards"),
    "des_crypt": Scheme("DES crypt", W, _DES),
    "ldap_des_crypt": Scheme("{CRYPT} DES crypt", W, _DES),
    "bigcrypt": Scheme("bigcrypt (DES)", W, _DES),
    "crypt16": Scheme("crypt16 (DES)", W, _DES),
    "bsdi_crypt": Scheme("BSDi crypt (DES)", W, "extended DES crypt: obsolete and fast"),
    "ldap_bsdi_crypt": Scheme("{CRYPT} BSDi crypt (DES)", W, "extended DES crypt: obsolete and fast"),
    "nthash": Scheme("NT hash", W, "unsalted MD4; a stolen NT hash signs in as the user (pass-the-hash)"),
    "bsd_nthash": Scheme("NT hash", W, "unsalted MD4; a stolen NT hash signs in as the user (pass-the-hash)"),
    "mysql41": Scheme("MySQL 4.1", W, _FAST),
    "mysql323": Scheme("MySQL 3.23", W, "a broken 64-bit scheme"),
    "postgres_md5": Scheme("PostgreSQL MD5", W, "MD5 salted only with the username"),
    "django_salted_sha1": Scheme("salted SHA-1 (Django)", W, _FAST_SALTED),
    "django_salted_md5": Scheme("salted MD5 (Django)", W, _FAST_SALTED),
    # Reversible.
    "lmhash": Scheme(
        "LM hash",
        R,
        "LM upper-cases the password and splits it into 7-character halves: "
        "any LM hash can be turned back into the password in minutes",
    ),
}

PLAINTEXT = Scheme("plaintext", Storage.PLAINTEXT, "the password itself is stored")
UNRECOGNISED = Scheme(
    "plaintext?", Storage.PLAINTEXT, "no known hash format: it is most likely the password itself"
)
EMPTY = Scheme("empty", Storage.PLAINTEXT, "no password is set: anyone can sign in")
LOCKED = Scheme("locked", Storage.LOCKED, "the account has no usable password")
_HEX_DIGESTS = {
    32: Scheme("unsalted 32-hex digest (MD5, NT or LM)", W, _FAST + "; an LM hash is even reversible"),
    40: Scheme("unsalted SHA-1 (hex)", W, _FAST),
    64: Scheme("unsalted SHA-256 (hex)", W, _FAST),
    128: Scheme("unsalted SHA-512 (hex)", W, _FAST),
}
_EXTERNAL_PREFIXES = {"SASL", "KERBEROS", "K5KEY", "UNIX"}
_PLAINTEXT_PREFIXES = {"CLEARTEXT", "PLAIN", "PLAINTEXT", "TEXT"}
_YESCRYPT = Scheme("yescrypt", S, "memory-hard and salted (Debian's default)")
_LOCKED_VALUES = {"*", "!", "!!", "x", "*LK*", "*NP*"}
_PREFIX = re.compile(r"^\{([A-Za-z0-9._-]{1,32})\}(.*)$", re.DOTALL)
_HEX = re.compile(r"^[0-9a-fA-F]+$")

_UNPREFIXED_ORDER = (
    "argon2",
    "bcrypt",
    "bcrypt_sha256",
    "scrypt",
    "sha512_crypt",
    "sha256_crypt",
    "pbkdf2_sha512",
    "pbkdf2_sha256",
    "pbkdf2_sha1",
    "django_argon2",
    "django_bcrypt_sha256",
    "django_bcrypt",
    "django_pbkdf2_sha256",
    "django_pbkdf2_sha1",
    "grub_pbkdf2_sha512",
    "scram",
    "md5_crypt",
    "apr_md5_crypt",
    "sha1_crypt",
    "sun_md5_crypt",
    "bsdi_crypt",
    "phpass",
    "bsd_nthash",
    "mysql41",
    "postgres_md5",
    "django_salted_sha1",
    "django_salted_md5",
    "mysql323",
    "des_crypt",
    "bigcrypt",
    "crypt16",
)
_LDAP_ORDER = (
    "ldap_salted_sha512",
    "ldap_salted_sha256",
    "ldap_salted_sha1",
    "ldap_salted_md5",
    "ldap_md5",
    "ldap_sha1",
    "ldap_hex_md5",
    "ldap_hex_sha1",
    "ldap_pbkdf2_sha512",
    "ldap_pbkdf2_sha256",
    "ldap_pbkdf2_sha1",
    "atlassian_pbkdf2_sha1",
)


@lru_cache(maxsize=1)
def _handlers() -> tuple[tuple[str, object], ...]:
    from passlib import registry  # libpass; imported lazily to keep the CLI start fast

    return tuple((name, registry.get_crypt_handler(name)) for name in (*_UNPREFIXED_ORDER, *_LDAP_ORDER))


def _identify(value: str, names: tuple[str, ...]) -> str | None:
    """The first handler in ``names`` that recognises ``value`` (passlib's ``identify``)."""
    for name, handler in _handlers():
        if name in names:
            try:
                if handler.identify(value):  # type: ignore[attr-defined]
                    return name
            except (ValueError, TypeError):  # passlib rejects malformed input this way
                continue
    return None


def classify(value: str, hint: str | None = None) -> Scheme:
    """The scheme and verdict of one stored value; ``hint`` is a handler name the source implies
    (an ``sambaNTPassword`` attribute is an NT hash, a pwdump field is LM or NT)."""
    if hint is not None:
        if hint == "lmhash" and value.lower() == "aad3b435b51404eeaad3b435b51404ee":
            return Scheme("LM hash (none stored)", Storage.LOCKED, "the LM slot is empty: no LM hash is kept")
        return SCHEMES[hint]
    if value == "":
        return EMPTY
    if value in _LOCKED_VALUES:
        return LOCKED
    if value.startswith("!") and _classify_bare(value.lstrip("!")) not in (UNRECOGNISED, EMPTY):
        return LOCKED  # shadow's "locked, hash kept"; a plaintext "!secret" still counts as plaintext
    m = _PREFIX.match(value)
    if m:
        return _classify_prefixed(m.group(1).upper(), m.group(2), value)
    return _classify_bare(value)


def _classify_prefixed(prefix: str, rest: str, value: str) -> Scheme:
    if prefix in _PLAINTEXT_PREFIXES:
        return Scheme(f"{{{prefix}}}", Storage.PLAINTEXT, "the password itself is stored")
    if prefix in _EXTERNAL_PREFIXES:
        return Scheme(f"{{{prefix}}}", Storage.EXTERNAL, "the password is checked elsewhere (pass-through)")
    if prefix == "CRYPT":
        inner = _classify_bare(rest)
        if inner in (UNRECOGNISED, EMPTY):
            return Scheme("{CRYPT} (unrecognised)", Storage.UNKNOWN, "a crypt scheme we do not recognise")
        return Scheme(f"{{CRYPT}} {inner.label}", inner.storage, inner.why)
    if prefix == "ARGON2":
        return Scheme("{ARGON2}", S, "memory-hard, current best practice")
    name = _identify(value, _LDAP_ORDER)
    if name is not None:
        return SCHEMES[name]
    return Scheme(f"{{{prefix}}}", Storage.UNKNOWN, "a scheme we do not recognise: check it by hand")


def _classify_bare(value: str) -> Scheme:
    if value.startswith(("$y$", "$gy$", "$7$")):
        return _YESCRYPT
    if value.startswith("$NT$") and _HEX.match(value[4:]):
        return SCHEMES["nthash"]
    if value.startswith("$LM$") and _HEX.match(value[4:]):
        return SCHEMES["lmhash"]
    if _HEX.match(value) and len(value) in _HEX_DIGESTS:
        return _HEX_DIGESTS[len(value)]
    name = _identify(value, _UNPREFIXED_ORDER)
    if name is not None:
        return SCHEMES[name]
    return UNRECOGNISED
