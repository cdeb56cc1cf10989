"""Passwords at the moment they are set, and how they are stored.

A directory never reveals a password, so the nightly run cannot see a
predictable one: this package checks candidates against the pack's ``password:``
rules (check), hands out pupil passwords that pass them (generate, cohort),
audits issued lists (audit) and stored hashes (hashes, hashfiles), and serves the
check to a reset portal (serve). See docs/passwords.md.
"""
