"""One person's line of calls: in call order, whole; a call that gives up or is cancelled keeps
the order of the rest; people do not wait for each other; an ended line takes no memory."""

from __future__ import annotations

import asyncio

from custom_components.facebook.messenger.turns import PersonTurns, Turn


async def settle() -> None:
    """Let every task that can run, run (turns wake each other through callbacks)."""
    for _ in range(10):
        await asyncio.sleep(0)


def call(
    turn: Turn, name: str, log: list[str], go: asyncio.Event | None = None
) -> asyncio.Task[None]:
    """A call that sends two parts in its turn, the second after `go` (if given) is set."""

    async def run() -> None:
        try:
            async with turn:
                log.append(f"{name}1")
                if go is not None:
                    await go.wait()
                else:
                    await asyncio.sleep(0)
                log.append(f"{name}2")
        finally:
            turn.release()  # what the sender does, whatever happened

    return asyncio.create_task(run())


async def test_calls_to_one_person_go_in_call_order_whole() -> None:
    turns = PersonTurns()
    log: list[str] = []
    go = asyncio.Event()
    first = call(turns.take("alice"), "a", log, go)  # slow: waits for `go` mid-call
    later = [call(turns.take("alice"), name, log) for name in "bc"]  # ready at once
    await settle()
    assert log == ["a1"]  # the later calls wait behind the first, however ready they are
    go.set()
    await asyncio.gather(first, *later)
    assert log == ["a1", "a2", "b1", "b2", "c1", "c2"]


async def test_people_do_not_wait_for_each_other() -> None:
    turns = PersonTurns()
    log: list[str] = []
    go = asyncio.Event()
    alice = call(turns.take("alice"), "a", log, go)
    bob = call(turns.take("bob"), "b", log)
    await bob  # Bob's call ends while Alice's is still in the middle
    assert log == ["a1", "b1", "b2"]
    go.set()
    await alice


async def test_a_call_that_gives_up_early_keeps_the_order_of_the_rest() -> None:
    """A call that never sends (its media failed) lets the next go only after the ones ahead."""
    turns = PersonTurns()
    log: list[str] = []
    go = asyncio.Event()
    first = call(turns.take("alice"), "a", log, go)
    gave_up = turns.take("alice")
    third = call(turns.take("alice"), "c", log)
    await settle()
    gave_up.release()  # before the first call is done
    gave_up.release()  # saying it twice is harmless
    await settle()
    assert log == ["a1"]  # the third still waits for the first
    go.set()
    await asyncio.gather(first, third)
    assert log == ["a1", "a2", "c1", "c2"]


async def test_a_cancelled_call_neither_blocks_nor_jumps_the_line() -> None:
    turns = PersonTurns()
    log: list[str] = []
    go = asyncio.Event()
    first = call(turns.take("alice"), "a", log, go)
    waiting = call(turns.take("alice"), "b", log)
    third = call(turns.take("alice"), "c", log)
    await settle()
    waiting.cancel()  # cancelled while it waits for its turn
    await settle()
    assert waiting.cancelled()
    assert not first.done()  # the wait was cancelled, not the call it waited for
    assert log == ["a1"]  # and the one behind it did not jump ahead of the first
    first.cancel()  # the call in its turn is cancelled mid-way: the line goes on
    await third
    assert log == ["a1", "c1", "c2"]


async def test_an_ended_line_takes_no_memory() -> None:
    turns = PersonTurns()
    log: list[str] = []
    go = asyncio.Event()
    tasks = [call(turns.take(f"person {i}"), str(i), log, go) for i in range(100)]
    tasks += [call(turns.take("person 0"), "again", log) for _ in range(3)]
    turns.take("person 1").release()  # a call that never sent anything
    await settle()
    assert len(turns) == 100
    go.set()
    await asyncio.gather(*tasks)
    assert len(turns) == 0
    never_used = turns.take("alice")
    never_used.release()
    assert len(turns) == 0
