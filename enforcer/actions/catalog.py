"""Every remediation action a pack may name, known without any connection.

The catalog lets ``policy validate`` reject an unknown action before anything
connects; each source says which of these it can carry out.
"""

from __future__ import annotations

from enforcer.actions.interface import ActionSpec
from enforcer.model.values import SubjectKind

A, D = SubjectKind.ACCOUNT, SubjectKind.DEVICE

ACTIONS: dict[str, ActionSpec] = {
    spec.name: spec
    for spec in (
        ActionSpec(
            "force-password-change",
            frozenset({A}),
            "Require a password change at next sign-in (AD pwdLastSet=0; Entra forceChangePasswordNextSignIn).",
        ),
        ActionSpec("disable-account", frozenset({A}), "Disable the account."),
        ActionSpec(
            "clear-password-never-expires",
            frozenset({A}),
            "Clear 'password never expires' (AD DONT_EXPIRE_PASSWORD; Entra DisablePasswordExpiration).",
        ),
        ActionSpec(
            "clear-reversible-encryption",
            frozenset({A}),
            "Clear 'store password using reversible encryption' (AD ENCRYPTED_TEXT_PWD_ALLOWED).",
        ),
        ActionSpec(
            "revoke-sessions", frozenset({A}), "Revoke the user's sign-in sessions (Entra).", reversible=False
        ),
        ActionSpec("sync-device", frozenset({D}), "Ask Intune to sync the device now.", reversible=False),
        ActionSpec(
            "update-defender-signatures",
            frozenset({D}),
            "Ask Intune to update Microsoft Defender signatures.",
            reversible=False,
        ),
        ActionSpec(
            "remote-lock", frozenset({D}), "Lock the device remotely (Intune).", reversible=False, opt_in=True
        ),
    )
}
