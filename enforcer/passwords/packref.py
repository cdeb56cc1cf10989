"""Which password policy ``--policy PACK|FILE`` means.

Either a YAML file holding only a ``password:`` section (a school may keep its
password rules apart from its pack), validated here, or a pack, whose
``password:`` section the pack loader has already validated. Thresholds live
only in packs: there are no built-in presets to drift out of step with them.
A pack without a ``password:`` section is an error, never "no rules".
"""

from __future__ import annotations

from pathlib import Path

from enforcer.model.errors import InputError, PolicyError
from enforcer.passwords.policy import PasswordPolicy, PasswordPolicyModel
from enforcer.rules.loader import load_pack
from enforcer.yamlfile import load_file, validate


def resolve_policy(ref: str) -> PasswordPolicy:
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        doc = load_file(path)
        if isinstance(doc.data, dict) and set(doc.data) == {"password"}:
            return validate(PasswordPolicyModel, doc, doc.data["password"], prefix=("password",)).to_policy()
    pack = load_pack(ref)
    if pack.password is None:
        raise PolicyError([InputError(f"policy pack {ref!r} has no password: section", pack.info.path)])
    return pack.password
