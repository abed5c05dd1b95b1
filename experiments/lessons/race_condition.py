"""Lesson 9: threads updating a shared counter lose updates, unless a lock makes read-and-write one step."""

from __future__ import annotations

from collections.abc import Mapping

from experiments.lessons.base import Doc, Lesson, Reference, Step, Verdict, results, wall

UNLOCKED, LOCKED = "no lock", "with a lock"
THREADS, INCREMENTS = 4, 1000


def count(doc: Doc) -> tuple[int, int]:
    """(increments the tasks made, the counter's final value) for one run.

    Each task reports the counter as it saw it when it finished; the task that finished last (the
    highest ``finished`` number) saw every other task's writes, so its value is the final one."""
    done = [r for r in results(doc) if isinstance(r, Mapping) and "finished" in r]
    expected = sum(int(r["added"]) for r in done)
    final = max(done, key=lambda r: r["finished"])["counter"] if done else 0
    return expected, int(final)


def judge(runs: Mapping[str, Doc]) -> Verdict:
    expected, counted_u = count(runs[UNLOCKED])
    expected_l, counted_l = count(runs[LOCKED])
    lost_u, lost_l = expected - counted_u, expected_l - counted_l
    facts = {
        "expected": expected,
        "counted_unlocked": counted_u,
        "lost_unlocked": lost_u,
        "counted_locked": counted_l,
        "lost_locked": lost_l,
        "wall_unlocked": round(wall(runs[UNLOCKED]), 3),
        "wall_locked": round(wall(runs[LOCKED]), 3),
    }
    share = lost_u / expected if expected else 0.0
    lost_l_text = f"{lost_l:,}" if lost_l else "none"
    text = (
        f"The counter should have ended at {expected:,}. Without a lock it ended at "
        f"{counted_u:,}: {lost_u:,} updates lost ({share:.0%}). With the lock it ended at "
        f"{counted_l:,}: {lost_l_text} lost. "
    )
    if lost_u > 0 and lost_l == 0:
        text += (
            "Other threads wrote between one thread's read and its write, and those updates were "
            "overwritten; the lock prevented that, at a price in time "
            f"({wall(runs[LOCKED]):.2f} s instead of {wall(runs[UNLOCKED]):.2f} s)."
        )
    else:
        if lost_u <= 0:
            text += (
                "No update was lost without the lock this time: the threads happened not to "
                "interleave between read and write. The race is still there; one clean run "
                "proves nothing. "
            )
        if lost_l != 0:
            text += (
                "Updates went missing even with the lock: something changed the counter outside "
                "it, which is a bug."
            )
    return Verdict(text.rstrip(), facts)


LESSON = Lesson(
    id="race-condition",
    title="Race condition",
    summary="Threads adding to one counter lose updates; a lock around read and write loses none.",
    explanation=(
        "Adding one to a shared number takes three steps: read it, add one, write the result "
        "back. If another thread writes between one thread's read and its write, the later write "
        "wins and the other increment is lost. The GIL does not prevent this: it keeps the "
        "interpreter's own objects intact, not the invariants of your program.",
        f"Here {THREADS} threads each add one to a shared counter {INCREMENTS:,} times, pausing "
        "with time.sleep(0) between read and write, which lets another thread in: that makes a "
        "race that would otherwise strike once in a long while happen on every run. Without a "
        "lock most updates vanish. With a threading.Lock held from the read to the write, none "
        "do; the threads wait for each other instead, which costs time.",
        "Any data that several threads change needs such protection (a lock, a queue, or one "
        "owner thread). asyncio code is spared as long as no await falls between the read and "
        "the write, since one coroutine runs at a time and is never interrupted between awaits; "
        "an await in the middle brings the same race back.",
    ),
    steps=tuple(
        Step(
            label,
            "race-counter",
            "threads",
            tasks=THREADS,
            workers=THREADS,
            params={"increments": INCREMENTS, "locked": locked},
        )
        for label, locked in ((UNLOCKED, 0), (LOCKED, 1))
    ),
    judge=judge,
    facts={
        "expected": "the final count if no update were lost (threads × increments)",
        "counted_unlocked": "the counter's final value without a lock",
        "lost_unlocked": "updates lost without a lock (expected − counted; more than 0 expected)",
        "counted_locked": "the counter's final value with the lock",
        "lost_locked": "updates lost with the lock (0 expected)",
        "wall_unlocked": "seconds taken without a lock",
        "wall_locked": "seconds taken with the lock",
    },
    references=(
        Reference(
            "The seeds, seed 001, “Thread Safety”",
            "data shared between threads must not be changed by several of them at once without "
            "protection such as a lock; single-threaded asyncio code needs no locks",
        ),
    ),
)
