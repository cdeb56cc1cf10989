"""Terminal output for listings that show directory data (names, messages, notes).

A display name is attacker-controlled text: an escape sequence or a right-to-left
override in it must not drive the terminal or forge a line, so everything goes
through the same ``visible`` the terminal report uses.
"""

from __future__ import annotations

import sys
from typing import TextIO

from enforcer.reports.common import scrub, visible


def say(text: str = "", *, file: TextIO | None = None) -> None:
    print(visible(scrub(text)), file=file or sys.stdout)
