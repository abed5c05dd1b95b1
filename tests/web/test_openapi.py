"""The OpenAPI schema tells the truth: schemathesis sends what ``/openapi.json`` describes, and odd
variations of it, to a served lab; no answer may be a 5xx, a status the schema does not list, or
anything else its checks catch. Runs are really started, so the lab's limits are small."""

from __future__ import annotations

import time
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import Case, Response
from schemathesis.checks import not_a_server_error, positive_data_acceptance

from server.settings import Settings
from server.web.app import create_app
from tests.support import LabClient

EXAMPLES = 100
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # The same cases every run, so that a failure is reproducible; `st run URL/openapi.json
    # --checks all` against a served lab explores further (README, "The edges").
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture(scope="module")
def lab_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        data_dir=tmp_path_factory.mktemp("lab"),
        max_tasks=4,
        time_limit_s=2,
        max_concurrent_runs=1,
        # More room than a sequence has steps, so that whether POST /api/runs answers 202 (and
        # gives the links a run id) depends on the body alone, never on what is still queued.
        queue_size=8,
    )


# The schema as create_app builds it (building the app starts nothing); the served one is the same
# (below). Not ``schemathesis.pytest.from_fixture``: it reads a private attribute pytest 9 dropped.
DOC = create_app(Settings()).openapi()
schema = schemathesis.openapi.from_dict(DOC)


def test_the_served_schema_is_the_one_tested(client: LabClient) -> None:
    assert client.get("/openapi.json").json() == DOC


def excluded(case: Case) -> list[Any]:
    """Whether a run's body is valid depends on the workload it names (each has parameters and
    ranges of its own) and the executor (``server`` options with the server executor only): more
    than a JSON schema says. There, a 422 for a body the schema allows is right. And oEmbed 1.0
    answers a format it does not speak with 501 Not Implemented (CONTRACT.md), a 5xx by design."""
    if case.operation.label == "POST /api/runs":
        return [positive_data_acceptance]
    if case.operation.label == "GET /oembed" and (case.query or {}).get("format", "json") != "json":
        return [not_a_server_error]
    return []


@schema.parametrize()
@SETTINGS
def test_every_operation_answers_as_documented(client: LabClient, case: Case) -> None:
    case.call_and_validate(base_url=str(client.base_url), excluded_checks=excluded(case))


def settle(client: LabClient, within_s: float = 20.0) -> None:
    """Cancel what is queued or running and wait until it has ended."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        going = [
            row["id"]
            for row in client.get("/api/runs", params={"limit": 20}).json()
            if row["status"] in ("pending", "running")
        ]
        if not going:
            return
        for run_id in going:
            client.post(f"/api/runs/{run_id}/cancel")
        time.sleep(0.05)
    raise AssertionError(f"runs still going after {within_s} s: {going}")


def test_sequences_of_calls_answer_as_documented(client: LabClient) -> None:
    """Calls that follow links (a run's id from ``POST /api/runs`` into the routes taking one)."""

    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return {"base_url": str(client.base_url)}

        def validate_response(
            self, response: Response, case: Case, additional_checks: Any = None, **kw: Any
        ) -> None:
            case.validate_response(
                response, excluded_checks=excluded(case), transport_kwargs=kw or None
            )

        def teardown(self) -> None:
            # Every sequence starts from an idle lab: Hypothesis replays choices it has made
            # before and requires them to lead where they led then.
            settle(client)

    def newest() -> str | None:
        rows = client.get("/api/runs", params={"limit": 1}).json()
        return rows[0]["id"] if rows else None

    before = newest()
    # Generation only, no replay: the rules a step may take depend on what the lab answered
    # before (a full queue, a run still going), which a replay cannot make happen again.
    machine = settings(
        SETTINGS, max_examples=25, stateful_step_count=6, phases=[Phase.generate], database=None
    )
    Machine.run(settings=machine)
    # The sequences reached past validation: POST /api/runs started runs for the links to follow.
    assert newest() != before
