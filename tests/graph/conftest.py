"""Fixtures for the Graph connector tests: the project's Graph-compatible server, started on
127.0.0.1 for each test, and a ``graph`` source whose real msgraph-sdk client points at it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # tests/ is not a package; the server lives in tests/services
    sys.path.insert(0, str(ROOT))

from connectors.graph.settings import Settings  # noqa: E402
from connectors.graph.source import GraphSource, build  # noqa: E402
from enforcer.identity import Classifier, RoleMatcher  # noqa: E402
from enforcer.model.values import Role  # noqa: E402
from enforcer.secrets import read_secret  # noqa: E402
from enforcer.sources.interface import BuildContext  # noqa: E402
from tests.services.graph_server import GraphServer, Tenant  # noqa: E402

DATA = ROOT / "tests" / "data" / "graph"
TOKEN = "graph-test-token-7f3a"
AS_OF = datetime(2025, 1, 15, tzinfo=UTC)
TRACKING = ("Absolute", "Prey", "Find My", "Jamf Protect", "LoJack", "Lost Mode")
CLASSIFIER = Classifier(
    [
        RoleMatcher(Role.STAFF, attribute="employeeType", value="Staff"),
        RoleMatcher(Role.PUPIL, attribute="primaryRole", value="student"),
        RoleMatcher(Role.PUPIL, attribute="employeeType", value="Pupil"),
    ]
)


@pytest.fixture
def tenant() -> Tenant:
    return Tenant.load(DATA / "tenant.json")


@pytest.fixture
def server(tenant: Tenant) -> Iterator[GraphServer]:
    with GraphServer(tenant, token=TOKEN) as srv:
        yield srv


@pytest.fixture
def as_of() -> datetime:
    return AS_OF


@pytest.fixture
def auth() -> dict[str, str]:
    """Headers for talking to the server directly (to show what it does, not the connector)."""
    return {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def token_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ENFORCER_TEST_GRAPH_TOKEN", TOKEN)
    return "ENFORCER_TEST_GRAPH_TOKEN"


def settings_for(server: GraphServer, **overrides: Any) -> Settings:
    raw: dict[str, Any] = {
        "base_url": server.base_url,
        "access_token": {"env": "ENFORCER_TEST_GRAPH_TOKEN"},
        "attributes": ["department", "jobTitle", "employeeType", "primaryRole"],
        "year_group_from": ["birth_date", "attribute"],
        "read": {"education": True, "sign_in_activity": True},
        "backoff_seconds": 0.01,
        "max_retries": 3,
        "timeout_seconds": 10,
    }
    for key, value in overrides.items():
        if key == "read":
            raw["read"] = {**raw["read"], **value}
        else:
            raw[key] = value
    return Settings.model_validate(raw)


@pytest.fixture
def make_source(server: GraphServer, token_env: str, tmp_path: Path) -> Callable[..., GraphSource]:
    def make(tracking: tuple[str, ...] = TRACKING, **overrides: Any) -> GraphSource:
        ctx = BuildContext(
            secrets=read_secret, classifier=CLASSIFIER, base_dir=tmp_path, tracking_apps=tracking, as_of=AS_OF
        )
        return build("entra", settings_for(server, **overrides), ctx)

    return make


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The SDK's generated builders warn about their own deprecated classes on import; not ours."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.filterwarnings("ignore::DeprecationWarning:msgraph.*"))
            item.add_marker(pytest.mark.filterwarnings("ignore::DeprecationWarning:kiota_abstractions.*"))
