"""Folding a run's log: what changed, once."""

from __future__ import annotations

from collections.abc import Callable

from server.render.model import RunInfo, RunModel
from tests.render.handmade import HandLog


def test_a_fold_says_what_is_new_what_grew_and_what_ended(
    hand: HandLog, info: Callable[..., RunInfo]
) -> None:
    model = RunModel(info())
    hand.lane("t1")
    hand.task(0, "t1", 0.0, [(0.0, 0.01)])
    hand.task(0, "t1", 0.0, [(0.0, 0.01), (0.02, 0.03)])  # grew within the same fold
    first = model.fold(hand.take())
    assert first.new_lanes == ["t1"] and list(first.new) == [0] and not first.grown
    hand.task(0, "t1", 0.0, [(0.0, 0.01), (0.02, 0.03), (0.04, 0.05)])
    hand.task(1, "t1", 0.05, [])
    second = model.fold(hand.take())
    assert second.grown == {0: (2, 0)}  # drawn so far: 2 slices, no waits; the third is new
    assert list(second.new) == [1] and not second.ended
    hand.task(0, "t1", 0.0, [(0.0, 0.01), (0.02, 0.03), (0.04, 0.05)], end=0.05)
    third = model.fold(hand.take())
    assert list(third.ended) == [0] and not third.grown and model.ended == {0}


def test_folding_the_same_messages_twice_changes_nothing(
    hand: HandLog, info: Callable[..., RunInfo]
) -> None:
    model = RunModel(info())
    hand.lane("t1")
    hand.task(0, "t1", 0.0, [(0.0, 0.01)], end=0.01)
    hand.sample(0.01)
    messages = hand.take()
    model.fold(messages)
    again = model.fold(messages)
    assert not again and len(model.samples) == 1
    assert model.running.averages(0.01, 1) == [1.0]


def test_the_final_status_carries_wall_time_and_metrics(
    hand: HandLog, info: Callable[..., RunInfo]
) -> None:
    model = RunModel(info())
    hand.status("running")
    assert model.fold(hand.take()).status and not model.finished
    hand.status("done", wall=0.5, avg_parallelism=1.5)
    model.fold(hand.take())
    assert model.finished and model.wall_s == 0.5 and model.metrics["avg_parallelism"] == 1.5
