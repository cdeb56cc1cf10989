"""Text from a school's files or a client's request, made safe to print or log on one line.

Usernames, LDIF DNs and request paths come from whoever wrote the file or sent
the request. Printed raw, an escape sequence in one can recolour or rewrite the
admin's terminal, a bidi override can make a name read backwards, and a newline
can forge a second log line. ``one_line`` reuses the reports' escaping
(``enforcer.reports.common.visible``) so every output of the tool escapes the same
characters the same way, then also escapes the tab and line breaks that the
reports keep, because here one value must stay on one line.
"""

from __future__ import annotations

from enforcer.reports.common import visible

_LINE_BREAKS = {"\t": "\\t", "\n": "\\n", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_LINE_BREAKS_TABLE = str.maketrans(_LINE_BREAKS)


def one_line(text: str, limit: int = 200) -> str:
    """``text`` with control, bidi and line-break characters as visible escapes (``\\x1b``,
    ``\\u202e``, ``\\n``), cut to ``limit`` characters first so a hostile value cannot flood
    the output (a cut value ends with ``...``)."""
    cut = len(text) > limit
    shown = visible(text[:limit]).translate(_LINE_BREAKS_TABLE)
    return shown + "..." if cut else shown
