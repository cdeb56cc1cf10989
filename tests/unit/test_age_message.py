"""One rounding for verdict and message (fail-closed issue, item 7).

At 02:00, the default cron hour, a password set 90 days and some hours ago failed with "is 90 days
old, expected at most 90 days": the verdict used fractional days, the message truncated them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from enforcer.rules.operators import age_text


def test_a_fractional_age_is_shown_so_it_differs_from_the_threshold() -> None:
    assert age_text(90 + 2 / 24, 90) == "90.1"
    assert age_text(90.04, 90) == "90.04"
    assert age_text(90.0, 90) == "90"
    assert age_text(12.5, 90) == "12.5"


def test_the_failing_message_agrees_with_the_verdict() -> None:
    from enforcer.engine import Engine
    from enforcer.model.values import Account, Role, Status
    from enforcer.rules.loader import load_pack

    now = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    pack = load_pack("primary-school")
    set_at = now - timedelta(days=90, hours=5)
    account = Account(
        source="t",
        id="u1",
        username="u1",
        role=Role.STAFF,
        enabled=True,
        password_last_set=set_at,
        must_change_password=False,
        password_never_expires=False,
    )
    engine = Engine(pack, now, ["staff-password-max-age"])
    [finding] = [f for f in engine.evaluate(account) if f.rule == "staff-password-max-age"]
    assert finding.status is Status.FAIL
    assert "90.2 days old, expected at most 90 days" in finding.message
