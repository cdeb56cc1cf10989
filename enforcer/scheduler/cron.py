"""Cron expressions: checked and translated for APScheduler 3, systemd timers and crontab.

Cron numbers days of the week from Sunday = 0; APScheduler 3 from Monday = 0. We translate the
cron field into day *names* before APScheduler sees it, and render the same expression as a
systemd ``OnCalendar`` or a crontab line for schools that prefer the OS scheduler.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from enforcer.model.errors import ConfigError

DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_CRON_DAY = {name: i for i, name in enumerate(DAY_NAMES)}


def _expand(field: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    """Values of one cron field (``*``, ``a``, ``a-b``, ``*/n``, ``a-b/n``, lists)."""
    out: set[int] = set()
    for part in field.lower().split(","):
        rng, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() else (1 if not step_text else -1)
        if step < 1:
            raise ValueError(part)

        def val(x: str) -> int:
            if names and x in names:
                return names[x]
            if not x.isdigit():
                raise ValueError(x)
            return int(x)

        if rng == "*":
            a, b = low, high
        elif "-" in rng:
            a_text, b_text = rng.split("-", 1)
            a, b = val(a_text), val(b_text)
            if names is _CRON_DAY and b == 0 and a > 0:
                b = 7  # "sat-sun": Sunday closes the week
        else:
            a = b = val(rng)
            if step_text:
                b = high
        if not (low <= a <= high and low <= b <= high) or a > b:
            raise ValueError(part)
        out.update(range(a, b + 1, step))
    return out


def cron_days(field: str) -> str:
    """A cron day-of-week field as APScheduler day names: ``1-5`` -> ``mon,tue,wed,thu,fri``."""
    if field == "*":
        return "*"
    try:
        days = {d % 7 for d in _expand(field, 0, 7, _CRON_DAY)}
    except ValueError:
        raise ConfigError(f"schedule.cron: day-of-week {field!r} is not a cron day field") from None
    order = [1, 2, 3, 4, 5, 6, 0]  # Monday first, as a person reads a week
    return ",".join(DAY_NAMES[d] for d in order if d in days)


def _fields(cron: str) -> list[str]:
    parts = cron.split()
    if len(parts) != 5:
        raise ConfigError(f"schedule.cron: {cron!r} must have 5 fields: minute hour day month day-of-week")
    return parts


def _check_timezone(timezone: str) -> None:
    """An IANA zone name: printed into a crontab (``CRON_TZ=``) and a timer, where a newline
    would start a line of the config author's choosing."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not timezone or not all(c.isprintable() and not c.isspace() for c in timezone):
        raise ConfigError(f"schedule.timezone: {timezone!r} is not a time zone name (e.g. Europe/London)")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"schedule.timezone: no time zone {timezone!r} (e.g. Europe/London)") from None


def cron_trigger(cron: str, timezone: str) -> Any:
    """The APScheduler trigger, or the ConfigError that says why not: a bad field, an unknown
    zone, or an expression that never fires (``0 2 31 2 *``, no 31 February)."""
    from apscheduler.triggers.cron import CronTrigger

    minute, hour, day, month, dow = _fields(cron)
    _check_timezone(timezone)
    try:
        trigger = CronTrigger(
            minute=minute, hour=hour, day=day, month=month, day_of_week=cron_days(dow), timezone=timezone
        )
    except (ValueError, LookupError) as exc:
        raise ConfigError(f"schedule.cron: {cron!r}: {exc}") from None
    if trigger.get_next_fire_time(None, datetime.now(trigger.timezone)) is None:
        raise ConfigError(f"schedule.cron: {cron!r} never fires")
    return trigger


def checked(cron: str, timezone: str) -> str:
    """``cron`` if ``enforcer schedule`` itself would accept it with ``timezone`` (else the same
    ConfigError), with single spaces between its fields: what ``--print-cron`` and
    ``--print-systemd`` print is never something the scheduler refuses, and a newline inside the
    expression cannot start a second crontab line."""
    cron_trigger(cron, timezone)
    return " ".join(_fields(cron))


def run_argv(config_path: str | None) -> list[str]:
    argv = [sys.executable, "-m", "enforcer", "-q", "run"]
    if config_path:
        argv += ["--config", str(Path(config_path).resolve())]
    return argv


def _systemd_field(field: str, low: int, high: int) -> str:
    if field == "*":
        return "*"
    if field.startswith("*/") and field[2:].isdigit():
        return f"{low}/{field[2:]}"
    try:
        values = sorted(_expand(field, low, high))
    except ValueError:
        raise ConfigError(
            f"schedule.cron: cannot translate {field!r} to systemd OnCalendar; write the timer by hand"
        ) from None
    return ",".join(f"{v:02d}" if high > 12 else str(v) for v in values)


def on_calendar(cron: str, timezone: str) -> str:
    minute, hour, day, month, dow = _fields(cron)
    if day != "*" and dow != "*":
        raise ConfigError(
            "schedule.cron: cron runs when day OR weekday matches, systemd when both do; "
            "give one of them as '*' or write the timer by hand"
        )
    days = "" if dow == "*" else ",".join(d.capitalize() for d in cron_days(dow).split(",")) + " "
    return (
        f"{days}*-{_systemd_field(month, 1, 12)}-{_systemd_field(day, 1, 31)} "
        f"{_systemd_field(hour, 0, 23)}:{_systemd_field(minute, 0, 59)}:00 {timezone}"
    )


def systemd_units(config: Any, config_path: str | None, cron: str | None = None) -> str:
    sched = config.model.schedule
    from enforcer.store.paths import data_dir

    expr = checked(cron or sched.cron, sched.timezone)
    exec_start = " ".join(run_argv(config_path))
    return f"""# /etc/systemd/system/enforcer.service
[Unit]
Description=enforcer: nightly password and device security check
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
ExecStart={exec_start}
Environment=ENFORCER_HOME={data_dir()}
UMask=0077
NoNewPrivileges=yes
PrivateTmp=yes
# Put SMTP and directory credentials in an EnvironmentFile readable only by root:
# EnvironmentFile=/etc/enforcer/secrets.env

# /etc/systemd/system/enforcer.timer
[Unit]
Description=Run enforcer on schedule ({expr}, {sched.timezone})

[Timer]
OnCalendar={on_calendar(expr, sched.timezone)}
Persistent=true

[Install]
WantedBy=timers.target
"""


def cron_line(config: Any, config_path: str | None, cron: str | None = None) -> str:
    sched = config.model.schedule
    expr = checked(cron or sched.cron, sched.timezone)
    command = " ".join(run_argv(config_path))
    return (
        f"# crontab -e  (CRON_TZ is honoured by cronie; elsewhere the cron daemon's zone is used)\n"
        f"CRON_TZ={sched.timezone}\n"
        f"{expr} {command} >/dev/null 2>&1\n"
    )
