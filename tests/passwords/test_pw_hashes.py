"""The stored-hash audit, on real hashes that passlib (libpass) generates for each scheme."""

from __future__ import annotations

import base64

import pytest
from passlib import hash as ph

from enforcer.passwords.hashes import SCHEMES, Storage, classify
from enforcer.passwords.hashfiles import HashFormat, parse

PW = "Westbury-Kestrel-42"
FAST = {
    "bcrypt": {"rounds": 4},
    "bcrypt_sha256": {"rounds": 4},
    "django_bcrypt": {"rounds": 4},
    "django_bcrypt_sha256": {"rounds": 4},
    "ldap_bcrypt": {"rounds": 4},
    "argon2": {"memory_cost": 1024, "rounds": 1},
    "django_argon2": {"memory_cost": 1024, "rounds": 1},
    "scrypt": {"rounds": 4},
    "sha512_crypt": {"rounds": 5000},
    "sha256_crypt": {"rounds": 5000},
    "ldap_sha512_crypt": {"rounds": 5000},
    "ldap_sha256_crypt": {"rounds": 5000},
}
AMBIGUOUS = {"nthash", "lmhash"}  # bare 32-hex: MD5, NT or LM cannot be told apart (still flagged)


def make(name: str) -> str:
    handler = getattr(ph, name)
    if name in FAST:
        handler = handler.using(**FAST[name])
    if name == "postgres_md5":
        return handler.hash(PW, user="jsmith")
    return handler.hash(PW)


@pytest.mark.parametrize("name", sorted(SCHEMES))
def test_each_scheme_passlib_makes_is_classified(name: str) -> None:
    value = make(name)
    got = classify(value)
    expected = SCHEMES[name]
    if name in AMBIGUOUS:
        assert got.storage is Storage.WEAK and got.storage.flagged
    else:
        assert got.storage is expected.storage, (name, got)
        assert got.storage.flagged == (expected.storage is not Storage.STRONG)


@pytest.mark.parametrize(
    "value, storage",
    [
        ("{CLEARTEXT}Sunshine1", Storage.PLAINTEXT),
        ("Sunshine1", Storage.PLAINTEXT),
        ("", Storage.PLAINTEXT),
        ("!secret", Storage.PLAINTEXT),
        ("{XYZ}abc", Storage.UNKNOWN),
        ("{SASL}bob@SCHOOL", Storage.EXTERNAL),
        ("!", Storage.LOCKED),
        ("*", Storage.LOCKED),
        ("{CRYPT}$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o", Storage.STRONG),
        ("$LM$" + ph.lmhash.hash(PW), Storage.REVERSIBLE),
        ("$NT$" + ph.nthash.hash(PW), Storage.WEAK),
        ("{ARGON2}" + make("argon2"), Storage.STRONG),
    ],
)
def test_special_values(value: str, storage: Storage) -> None:
    assert classify(value).storage is storage


def _mixed() -> tuple[str, str, str, str]:
    strong = [make(n) for n in ("argon2", "bcrypt", "sha512_crypt", "pbkdf2_sha256", "ldap_salted_sha512")]
    weak = [
        "{CLEARTEXT}Sunshine1",
        "Sunshine1",
        make("ldap_md5"),
        make("ldap_sha1"),
        make("des_crypt"),
        make("ldap_salted_md5"),
        make("md5_crypt"),
    ]
    ldif_lines = ["version: 1", ""]
    for i, v in enumerate(strong + weak):
        ldif_lines += [f"dn: uid=u{i},ou=People,dc=school,dc=sch,dc=uk", "objectClass: inetOrgPerson"]
        if i % 2:
            ldif_lines.append("userPassword:: " + base64.b64encode(v.encode()).decode())
        else:  # folded long lines, as ldapsearch writes them
            line = "userPassword: " + v
            ldif_lines += [line[:40]] + [" " + line[j : j + 39] for j in range(40, len(line), 39)]
        ldif_lines.append("")
    ldif_lines += [
        "dn: cn=samba,dc=school",
        "sambaNTPassword: " + ph.nthash.hash(PW).upper(),
        "sambaLMPassword: " + ph.lmhash.hash(PW).upper(),
        "",
    ]
    ht = "\n".join(f"u{i}:{v}" for i, v in enumerate(strong + [make("apr_md5_crypt"), make("des_crypt")]))
    csv_text = "username,hash\n" + "\n".join(f'u{i},"{v}"' for i, v in enumerate(strong + weak))
    pwdump = (
        f"admin:500:{ph.lmhash.hash(PW)}:{ph.nthash.hash(PW)}:::\n"
        f"pupil:1001:aad3b435b51404eeaad3b435b51404ee:{ph.nthash.hash('x')}:::\n"
    )
    return "\n".join(ldif_lines), ht, csv_text, pwdump


def test_mixed_files_flag_every_weak_entry_and_no_strong_one() -> None:
    ldif, ht, csv_text, pwdump = _mixed()
    got = parse(ldif)
    assert [r.flagged for r in got] == [False] * 5 + [True] * 7 + [True, True]
    assert got[-1].storage is Storage.REVERSIBLE and got[0].account.startswith("uid=u0,")
    assert [r.flagged for r in parse(ht)] == [False] * 5 + [True, True]
    assert [r.flagged for r in parse(csv_text, HashFormat.CSV)] == [False] * 5 + [True] * 7
    dump = parse(pwdump)
    assert [(r.account, r.storage) for r in dump] == [
        ("admin (LM)", Storage.REVERSIBLE),
        ("admin (NT)", Storage.WEAK),
        ("pupil (LM)", Storage.LOCKED),
        ("pupil (NT)", Storage.WEAK),
    ]


def test_shadow_lines() -> None:
    text = f"root:{make('sha512_crypt')}:19000:0:99999:7:::\nold:{make('md5_crypt')}:19000:0:99999:7:::\n"
    assert [r.storage for r in parse(text)] == [Storage.STRONG, Storage.WEAK]
