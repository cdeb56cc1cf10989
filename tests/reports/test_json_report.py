"""The JSON report against its documented JSON Schema, and its stable shape."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from enforcer.model.values import Status
from enforcer.reports.interface import ReportExtras, TrendPoint
from enforcer.reports.json_report import JsonReporter, build_document

from .conftest import AS_OF
from .schema_check import validate

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "report.schema.json").read_text(encoding="utf-8"))


def _doc(result, extras=None) -> dict:
    return json.loads(JsonReporter().render(result, extras=extras))


def test_ordinary_report_matches_schema(ordinary) -> None:
    assert validate(_doc(ordinary), SCHEMA) == []


def test_hostile_report_matches_schema_and_keeps_text(hostile) -> None:
    doc = _doc(hostile)
    assert validate(doc, SCHEMA) == []
    names = {f["subject"]["name"] for f in doc["findings"]}
    assert '<script>alert("x")</script>' in names  # JSON is data: kept exactly, escaped by json itself
    assert "gpj.\u202eexe" in names
    assert "lone \ufffd surrogate" in names  # unencodable surrogate replaced


def test_report_with_history_matches_schema(ordinary) -> None:
    extras = ReportExtras(
        trend=(TrendPoint("r1", AS_OF, {"fail": 2, "pass": 1}, complete=False),),
        new=ordinary.findings[:1],
        fixed=(),
        previous_run_id=None,
    )
    doc = _doc(ordinary, extras)
    assert validate(doc, SCHEMA) == []
    assert doc["history"]["trend"][0]["complete"] is False


def test_the_validator_itself_rejects_bad_documents(ordinary) -> None:
    doc = _doc(ordinary)
    doc["findings"][0]["status"] = "ok"
    del doc["run"]["complete"]
    doc["summary"]["extra"] = 1
    problems = validate(doc, SCHEMA)
    assert any("findings[0].status" in p for p in problems)
    assert any("missing 'complete'" in p for p in problems)
    assert any("unexpected key 'extra'" in p for p in problems)


def test_agrees_with_jsonschema(ordinary, hostile) -> None:
    """jsonschema is in the ``test`` extra, so CI always has it: missing, this fails rather than skips."""
    import jsonschema

    for result in (ordinary, hostile):
        jsonschema.Draft202012Validator(SCHEMA).validate(_doc(result))


def test_top_level_and_finding_key_order_is_fixed(ordinary) -> None:
    doc = _doc(ordinary)
    assert list(doc) == ["schema", "run", "summary", "findings"]
    assert doc["schema"] == "enforcer.report/1"
    assert list(doc["findings"][0]) == [
        "rule",
        "title",
        "status",
        "severity",
        "subject",
        "evidence",
        "message",
        "clause",
        "remediation",
        "fingerprint",
    ]


def test_findings_sorted_by_rule_kind_id(ordinary) -> None:
    keys = [(f["rule"], f["subject"]["kind"], f["subject"]["id"]) for f in _doc(ordinary)["findings"]]
    assert keys == sorted(keys)


def test_exception_only_on_excepted_findings(ordinary) -> None:
    for f in _doc(ordinary)["findings"]:
        assert ("exception" in f) == (f["status"] == "excepted")
    excepted = next(f for f in _doc(ordinary)["findings"] if f["status"] == "excepted")
    assert excepted["exception"]["reason"] == "awaiting replacement"


def test_datetimes_are_utc_with_z(ordinary) -> None:
    from datetime import timedelta, timezone

    bst = timezone(timedelta(hours=1))
    shifted = dataclasses.replace(ordinary, started=ordinary.started.astimezone(bst))
    assert _doc(shifted)["run"]["started"] == "2025-01-15T02:00:00Z"


def test_summary_counts(ordinary) -> None:
    s = build_document(ordinary)["summary"]
    assert s["by_status"] == {"pass": 2, "fail": 2, "error": 1, "excepted": 1}
    assert s["failing_by_severity"]["critical"] == 1 and s["failing_by_severity"]["high"] == 1
    assert s["total"] == len(ordinary.findings)
    assert sum(1 for f in ordinary.findings if f.status is Status.FAIL) == 2
