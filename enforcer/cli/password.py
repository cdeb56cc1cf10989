"""``enforcer password check|generate|audit|hashes|serve``.

The candidate password is read from standard input or a no-echo prompt, never
from the command line, where it would sit in shell history and in ``ps``.
Exit codes: 0 accepted / nothing flagged, 1 refused / something flagged, 2 usage.
Everything printed that came from a file or the command line goes through
``one_line``, so an escape sequence in a username cannot reach the terminal.
"""

from __future__ import annotations

import argparse
import getpass
import json
import math
import sys
from typing import TYPE_CHECKING, Any

from enforcer.cli.args import PORT
from enforcer.model.errors import InputError, UsageError
from enforcer.passwords.safe_text import one_line

if TYPE_CHECKING:
    from enforcer.passwords.policy import PasswordPolicy

if TYPE_CHECKING:
    from enforcer.passwords.policy import PasswordPolicy

EXIT_OK, EXIT_FAIL = 0, 1
MAX_STDIN = 64 * 1024
"""More than any policy allows (HARD_MAX_LENGTH characters); stops a runaway pipe."""


def register(subparsers: Any) -> None:
    group = subparsers.add_parser("password", help="check, generate and audit passwords")
    sub = group.add_subparsers(dest="password_command", metavar="ACTION", parser_class=type(group))
    group.set_defaults(func=lambda args: _usage(group))

    def with_policy(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--policy",
            default="primary-school",
            metavar="PACK|FILE",
            help="policy pack name or file whose password: section applies (default: primary-school)",
        )

    def with_format(p: argparse.ArgumentParser) -> None:
        p.add_argument("--format", choices=("text", "json"), default="text")

    p = sub.add_parser("check", help="check one password (read from stdin or a prompt, never argv)")
    with_policy(p)
    with_format(p)
    p.add_argument("--user", help="the account's username (a password may not contain it)")
    p.add_argument("--name", help="the person's full name")
    p.add_argument("--school", help="the school's name")
    p.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="TEXT",
        help="anything else personal, e.g. a date of birth (repeatable)",
    )
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("generate", help="age-appropriate pupil passwords that pass the pack")
    with_policy(p)
    p.add_argument("--year", type=int, help="year group: 0 Reception, 1-6 primary (overrides the roster)")
    p.add_argument("--count", type=int, default=1, help="how many to print (without --roster)")
    p.add_argument(
        "--roster",
        metavar="CSV",
        help="CSV with pupil_id, username[, given_name, family_name, year_group]: one password per pupil",
    )
    p.add_argument("--out", metavar="CSV", help="with --roster: where to write (created with mode 0600)")
    p.add_argument("--force", action="store_true", help="with --roster: replace an existing --out file")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("audit", help="check a username,password CSV; reports usernames and reasons only")
    with_policy(p)
    with_format(p)
    p.add_argument("file")
    p.add_argument("--school", help="the school's name")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("hashes", help="classify stored password hashes (LDIF, htpasswd, pwdump, CSV)")
    with_format(p)
    p.add_argument("file")
    p.add_argument("--input-format", choices=("auto", "ldif", "htpasswd", "pwdump", "csv"), default="auto")
    p.set_defaults(func=cmd_hashes)

    p = sub.add_parser("serve", help="HTTP endpoint for a reset portal: POST /check")
    with_policy(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=PORT, default=8765, help="0 to 65535 (0: any free port)")
    p.add_argument("--max-body", type=int, default=16 * 1024, help="bytes (413 above)")
    p.add_argument("--rate", type=float, default=5.0, help="requests per second per client (429 above)")
    p.add_argument("--burst", type=int, default=20, help="requests a client may make at once")
    p.set_defaults(func=cmd_serve)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _policy(args: argparse.Namespace) -> PasswordPolicy:
    from enforcer.passwords.packref import resolve_policy

    return resolve_policy(args.policy)


def read_candidate() -> str:
    """From stdin when it is piped (one trailing newline removed), else a no-echo prompt."""
    stdin = sys.stdin
    if stdin is None:
        raise UsageError("no standard input to read the password from")
    if stdin.isatty():
        try:
            return getpass.getpass("Password (not shown): ")
        except EOFError:
            raise UsageError("no password given") from None
    try:
        data = stdin.read(MAX_STDIN + 1)
    except UnicodeDecodeError:
        raise UsageError("the password on standard input is not valid UTF-8") from None
    if any("\ud800" <= ch <= "\udfff" for ch in data):
        # A C/POSIX locale reads stdin with surrogateescape: bad bytes arrive as lone surrogates
        # instead of an error, and would only fail later, inside the strength estimator.
        raise UsageError("the password on standard input is not valid UTF-8")
    if len(data) > MAX_STDIN:
        raise UsageError(f"the password on standard input is longer than {MAX_STDIN} characters")
    if data.endswith("\r\n"):
        return data[:-2]
    return data[:-1] if data.endswith("\n") else data


def cmd_check(args: argparse.Namespace) -> int:
    from enforcer.passwords.check import UserDetails, check_password

    policy = _policy(args)
    candidate = read_candidate()
    user = UserDetails(username=args.user, name=args.name, school=args.school, extra=tuple(args.extra))
    verdict = check_password(candidate, policy, user)
    if args.format == "json":
        print(json.dumps(verdict.to_dict(), indent=2))
    elif verdict.accepted:
        print(
            f"Accepted: this password meets the {one_line(args.policy)} rules (strength {verdict.score} of 4)."
        )
    else:
        print(f"Refused: this password does not meet the {one_line(args.policy)} rules.")
        for r in verdict.reasons:
            print(f"  - {r.message}")
        for s in verdict.suggestions:
            print(f"  Tip: {s}")
    return EXIT_OK if verdict.accepted else EXIT_FAIL


def cmd_generate(args: argparse.Namespace) -> int:
    from enforcer.passwords import cohort
    from enforcer.passwords.generate import generate

    policy = _policy(args)
    if args.roster:
        if not args.out:
            raise UsageError("--roster needs --out FILE: passwords for a cohort are never printed")
        pupils = cohort.read_roster(args.roster)
        issued = cohort.issue(pupils, policy, args.year)
        cohort.write_private_csv(args.out, issued, overwrite=args.force)
        print(
            f"Wrote {len(issued)} passwords to {args.out} (readable by you only). "
            "Hand them out, then delete the file.",
            file=sys.stderr,
        )
        return EXIT_OK
    if args.out:
        raise UsageError("--out is for --roster; without it passwords are printed")
    if args.year is None:
        raise UsageError("give --year N (0 Reception, 1-6 primary)")
    if not 1 <= args.count <= 10_000:
        raise UsageError("--count must be between 1 and 10000")
    for _ in range(args.count):
        print(generate(args.year, policy))
    return EXIT_OK


def cmd_audit(args: argparse.Namespace) -> int:
    from enforcer.passwords.audit import audit_text, read_text

    policy = _policy(args)
    rows = audit_text(read_text(args.file), policy, school=args.school)
    refused = [r for r in rows if r.status != "accept"]
    if args.format == "json":
        print(
            json.dumps(
                {
                    "checked": len(rows),
                    "refused": sum(r.status == "refuse" for r in rows),
                    "errors": sum(r.status == "error" for r in rows),
                    "results": [r.to_dict() for r in rows],
                },
                indent=2,
            )
        )
    else:
        for r in refused:
            label = "could not check" if r.status == "error" else "refused"
            who = f"{one_line(r.username, 64)} (line {r.line})" if r.username else f"line {r.line}"
            print(f"{who}: {label}")
            for reason in r.reasons:
                print(f"  - {reason.message}")
        print(
            f"{len(rows)} checked, {len(rows) - len(refused)} accepted, {len(refused)} refused or unreadable."
        )
    return EXIT_FAIL if refused else EXIT_OK


def cmd_hashes(args: argparse.Namespace) -> int:
    from enforcer.passwords.audit import read_text
    from enforcer.passwords.hashfiles import HashFormat, parse

    results = parse(read_text(args.file), HashFormat(args.input_format), source=args.file)
    if not results:
        raise InputError("no stored passwords found", args.file)
    flagged = [r for r in results if r.flagged]
    if args.format == "json":
        print(
            json.dumps(
                {"checked": len(results), "flagged": len(flagged), "results": [r.to_dict() for r in results]},
                indent=2,
            )
        )
    else:
        for r in results:
            mark = "FLAG" if r.flagged else "ok  "
            print(
                f"{mark} {one_line(r.account)} (line {r.line}): "
                f"{one_line(r.scheme)} - {r.storage.value}: {one_line(r.why)}"
            )
        print(
            f"{len(results)} stored passwords, {len(flagged)} flagged (plaintext, reversible, weak or unknown)."
        )
    return EXIT_FAIL if flagged else EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from enforcer.passwords.serve import ServeOptions, make_server

    policy = _policy(args)
    if args.max_body < 64 or not 0 < args.rate < math.inf or args.burst < 1:  # not nan either
        raise UsageError("--max-body must be at least 64, --rate above 0 and --burst at least 1")
    options = ServeOptions(
        host=args.host, port=args.port, max_body=args.max_body, rate=args.rate, burst=args.burst
    )
    try:
        server = make_server(policy, options)
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    bound, port = server.server_address[:2]
    host = bound.decode() if isinstance(bound, bytes) else bound  # typeshed allows bytes (AF_UNIX)
    print(
        f"Checking passwords at http://{one_line(str(host))}:{port}/check (Ctrl-C to stop)", file=sys.stderr
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return EXIT_OK
