from __future__ import annotations

import pytest

import experiments
from experiments.registry import InvalidParameter, Param

MS = Param("ms", int, 100, 1, 1000, "test")
FRACTION = Param("f", float, 0.5, 0.0, 1.0, "test")


@pytest.mark.parametrize(
    ("param", "raw", "expected"),
    [
        pytest.param(MS, "200", 200, id="int-from-string"),
        pytest.param(MS, 7, 7, id="int"),
        pytest.param(MS, 7.0, 7, id="whole-float-as-int"),
        pytest.param(FRACTION, "0.25", 0.25, id="float-from-string"),
        pytest.param(FRACTION, 1, 1.0, id="float-from-int"),
    ],
)
def test_param_parses_valid_input(param: Param, raw: object, expected: object) -> None:
    assert param.parse(raw) == expected


@pytest.mark.parametrize(
    ("param", "raw", "fragment"),
    [
        pytest.param(MS, "abc", "is not an integer from 1 to 1000", id="not-a-number"),
        pytest.param(MS, 0, "out of range", id="below-min"),
        pytest.param(MS, 1001, "out of range", id="above-max"),
        pytest.param(MS, 1.5, "is not an integer", id="fractional-int"),
        pytest.param(MS, True, "is not an integer", id="bool"),
        pytest.param(FRACTION, "nan", "is not a number", id="nan"),
        pytest.param(FRACTION, 2, "allowed: a number from 0.0 to 1.0", id="float-above-max"),
    ],
)
def test_param_rejects_bad_input_naming_it(param: Param, raw: object, fragment: str) -> None:
    with pytest.raises(InvalidParameter) as err:
        param.parse(raw)
    assert err.value.name == param.name
    assert fragment in str(err.value)


def test_unknown_parameter_lists_the_allowed_ones() -> None:
    with pytest.raises(InvalidParameter, match="allowed: mib, chunk_bytes"):
        experiments.get("hash").resolve({"size": 3})


def test_resolve_overlays_defaults() -> None:
    assert experiments.get("mixed").resolve({"ms": "40"}) == {"ms": 40, "cpu_fraction": 0.5}


def test_every_contract_workload_is_registered_with_its_parameters() -> None:
    expected = {"cpu": {"ms"}, "io": {"ms"}, "hash": {"mib"}, "mixed": {"ms", "cpu_fraction"}}
    for wid, names in expected.items():
        w = experiments.get(wid)
        assert names <= {p.name for p in w.params}
    assert experiments.get("io").afn is not None
    assert experiments.get("cpu").afn is None  # no awaitable form: runs inline under asyncio


def test_unknown_workload_names_the_allowed_ones() -> None:
    with pytest.raises(InvalidParameter, match="allowed: cpu, flaky, hash, io, mixed"):
        experiments.get("gpu")


@pytest.mark.parametrize(
    "wid", ["convoy", "hold-memory", "loop-blocker", "race-counter", "wait-rss"]
)
def test_lesson_only_workloads_are_hidden_from_the_dashboard(wid: str) -> None:
    assert experiments.get(wid).hidden and wid not in {w.id for w in experiments.visible()}
