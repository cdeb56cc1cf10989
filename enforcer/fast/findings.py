"""The engine's constructors for findings, subjects and fingerprints, the fast way.

The plain path is in ``enforcer/model/values.py``: ``Finding(...)``, ``Subject.of(record)``
and ``fingerprint(rule_id, subject)``. What a subject holds (``subject_fields``) and which
bytes a fingerprint hashes (``fingerprint_rule_hash``, ``fingerprint_subject_part``) are
defined there only; this module changes how they are put together, never what they are:

- objects are built positionally with ``enforcer.fast.build.builder``, skipping the frozen
  ``__init__`` (about six findings per record, an 11-field Finding each);
- the rule's part of every fingerprint is hashed once per rule (``rule_hash``); the engine
  finishes each fingerprint from a copy of it and the subject's part, encoded once per record
  (``subject_part``), exactly as ``fingerprint`` finishes its own hash.

Benchmark: ``bench/eval_bench.py`` (the ``engine`` phase).
Held equal to the plain path by ``tests/scale/test_fast_paths.py`` (subjects of every record
type, fingerprints with hostile ids) and ``tests/scale/test_streaming_eval.py`` (every field
of every finding lands in its place).
"""

from __future__ import annotations

from typing import Any

from enforcer.fast.build import builder
from enforcer.model.values import (
    FINGERPRINT_CHARS,
    Finding,
    Subject,
    fingerprint_rule_hash,
    fingerprint_subject_part,
    subject_fields,
)
from enforcer.rules.operators import Ctx

new_finding = builder(Finding)
"""``Finding(*values)``: every field, positionally, in Finding's field order."""
new_ctx = builder(Ctx)
"""``Ctx(now, record)``, made once per record."""
_new_subject = builder(Subject)

rule_hash = fingerprint_rule_hash
"""Per rule, once: the hash every one of its fingerprints starts from."""
subject_part = fingerprint_subject_part
"""Per record, once: the subject's bytes, added to a copy of each rule's hash."""
__all__ = ["FINGERPRINT_CHARS", "new_ctx", "new_finding", "rule_hash", "subject_of", "subject_part"]


def subject_of(record: Any) -> Subject:
    """``Subject.of(record)``, from the same ``subject_fields``, without the frozen ``__init__``."""
    return _new_subject(*subject_fields(record))
