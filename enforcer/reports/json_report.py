"""The machine-readable report (schema ``enforcer.report/1``, see docs/report-schema.md).

Keys are emitted in a fixed order and findings in the shared order, so two renders of
the same result are byte-identical and golden files can pin the format.
"""

from __future__ import annotations

import json
from typing import Any

from enforcer.model.values import Finding, RunResult, Status
from enforcer.reports.common import SCHEMA, iso, scrub, sorted_findings, summary, to_jsonable
from enforcer.reports.interface import ReportExtras


def finding_doc(f: Finding) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "rule": f.rule,
        "title": scrub(f.title),
        "status": f.status.value,
        "severity": f.severity.value,
        "subject": {
            "kind": f.subject.kind.value,
            "id": scrub(f.subject.id),
            "name": None if f.subject.name is None else scrub(f.subject.name),
            "source": f.subject.source,
            "owner": None if f.subject.owner is None else scrub(f.subject.owner),
        },
        "evidence": to_jsonable(dict(f.evidence)),
        "message": scrub(f.message),
        "clause": scrub(f.clause),
        "remediation": {"advice": scrub(f.remediation.advice), "action": f.remediation.action},
        "fingerprint": f.fingerprint,
    }
    if f.status is Status.EXCEPTED and f.exception is not None:
        doc["exception"] = to_jsonable(dict(f.exception))
    return doc


def build_document(result: RunResult, extras: ReportExtras | None = None) -> dict[str, Any]:
    """The report as plain data (also what the tests validate against the JSON Schema)."""
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "run": {
            "id": result.run_id,
            "started": iso(result.started),
            "finished": iso(result.finished),
            "as_of": iso(result.as_of),
            "school": scrub(result.school),
            "pack": {"name": result.pack.name, "version": result.pack.version},
            "complete": result.complete,
            "sources": [
                {
                    "name": s.name,
                    "type": s.type,
                    "ok": s.ok,
                    "error": None if s.error is None else scrub(s.error),
                    "counts": {k: int(v) for k, v in sorted(s.counts.items())},
                }
                for s in result.sources
            ],
        },
        "summary": summary(result),
        "findings": [finding_doc(f) for f in sorted_findings(result.findings)],
    }
    if extras is not None:
        doc["history"] = {
            "previous_run_id": extras.previous_run_id,
            "trend": [
                {
                    "run_id": p.run_id,
                    "as_of": iso(p.as_of),
                    "complete": p.complete,
                    "counts": {k: int(v) for k, v in sorted(p.counts.items())},
                }
                for p in extras.trend
            ],
            "new": [finding_doc(f) for f in sorted_findings(extras.new)],
            "fixed": [finding_doc(f) for f in sorted_findings(extras.fixed)],
            "changes": [
                {
                    "outcome": r.outcome.value,
                    "action": r.plan.action,
                    "rule": r.plan.rule,
                    "subject": {
                        "kind": r.plan.subject.kind.value,
                        "id": scrub(r.plan.subject.id),
                        "name": None if r.plan.subject.name is None else scrub(r.plan.subject.name),
                        "source": r.plan.subject.source,
                    },
                    "message": scrub(r.message),
                }
                for r in extras.changes
            ],
        }
    return doc


class JsonReporter:
    name = "json"
    extension = "json"

    def render(self, result: RunResult, *, color: bool = False, extras: ReportExtras | None = None) -> str:
        return json.dumps(build_document(result, extras), indent=2, ensure_ascii=False) + "\n"
