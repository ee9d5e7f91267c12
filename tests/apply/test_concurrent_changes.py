"""Concurrent applies never lose an update and never fail each other (issue 10, item 4).

Two applies planned from the same Hub state run at once: changes they share (the same intent)
converge, changes that touch different objects both land; changes that disagree on one value
are refused by the one that finds the other's value, with a message that says so, and never
reported as applied while the Hub holds the other value.
"""

from __future__ import annotations

import threading
from typing import Any

from applykit import FAMILY, Demo, use_family

COLLECTION = "collection-item:acme/Demo Models@acme/Demo-{size}"


def _family(one: str, seven: str, description: str) -> str:
    return FAMILY.replace("    title: Demo Models\n", f"""\
    title: Demo Models
    description: "{description}"
    notes: {{"1B": "{one}", "7B": "{seven}"}}
""")


def _notes(demo: Demo) -> tuple[dict[str, str | None], str | None]:
    [listed] = demo.api.list_collections(owner="acme")
    full = demo.api.get_collection(listed.slug)
    return {i.item_id: i.note for i in full.items}, full.description


def _at_once(demo: Demo, *plans: tuple[Any, Any]) -> list[Any]:
    results: list[Any] = [None] * len(plans)
    start = threading.Barrier(len(plans))

    def apply(index: int) -> None:
        start.wait()
        results[index] = demo.apply(plans[index][1], plans[index][0], parallelism=2)

    threads = [threading.Thread(target=apply, args=(i,)) for i in range(len(plans))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(r is not None for r in results)
    return results


def test_two_applies_at_once_twenty_times_lose_nothing_and_fail_nothing(demo: Demo) -> None:
    # Each round, A changes the 1B note and B the 7B note, both planned from the same Hub
    # state; both set the description to the round's parity. Rounds alternate between two
    # pairs of configs, so only four configs are expanded (planning is then cheap).
    def config(one: str, seven: str, parity: str) -> Any:
        use_family(demo.root, _family(one, seven, parity))
        return demo.desired()

    start = config("one-0", "seven-0", "even")
    assert demo.apply(*reversed(demo.plan_of(start))).status == "complete"
    odd = (config("one-1", "seven-0", "odd"), config("one-0", "seven-1", "odd"))
    even = (config("one-0", "seven-1", "even"), config("one-1", "seven-0", "even"))
    demo.hub.set_latency(2)  # interleave the two applies request by request
    for round_ in range(1, 21):
        pair = odd if round_ % 2 else even
        plans = [demo.plan_of(desired) for desired in pair]
        assert all(len(plan.changes) == 2 for _, plan in plans)  # a note, the description
        results = _at_once(demo, *plans)
        for result in results:
            assert result.status == "complete", (round_, result.to_json())
            assert not result.failed and not result.skipped
        notes, description = _notes(demo)
        want = ("one-1", "seven-1") if round_ % 2 else ("one-0", "seven-0")
        assert notes == {"acme/Demo-1B": want[0], "acme/Demo-7B": want[1]}, round_
        assert description == ("odd" if round_ % 2 else "even")
    demo.hub.set_latency(0)


def test_two_applies_disagreeing_on_a_note_never_both_report_it_applied(demo: Demo) -> None:
    use_family(demo.root, _family("one", "seven", "d"))
    desired, plan = demo.plan()
    assert demo.apply(plan, desired).status == "complete"
    address = COLLECTION.format(size="7B")
    for round_ in range(3):
        use_family(demo.root, _family("one", f"mine-{round_}", "d"))
        mine = demo.plan()
        use_family(demo.root, _family("one", f"theirs-{round_}", "d"))
        theirs = demo.plan()
        # Slow reads: each apply's read before and after its write brackets the other's write.
        demo.hub.set_faults([{"endpoint": "collections_get", "kind": "latency",
                              "latency_ms": 150}])
        results = _at_once(demo, mine, theirs)
        demo.hub.clear_faults()
        final = _notes(demo)[0]["acme/Demo-7B"]
        outcomes = {}
        for result, note in zip(results, (f"mine-{round_}", f"theirs-{round_}"), strict=True):
            change = {r.address: r for r in result.results}[address]
            outcomes[note] = change
            if change.status == "applied":
                assert final == note, (round_, final, result.to_json())
            else:
                assert change.status == "failed"
                assert "another writer" in change.error or "since the plan" in change.error
                assert "run 'release plan' again" in change.error
        assert sum(c.status == "applied" for c in outcomes.values()) == 1, outcomes


def test_an_apply_planned_before_another_changed_a_note_refuses_it(demo: Demo) -> None:
    use_family(demo.root, _family("one", "seven", "d"))
    desired, plan = demo.plan()
    assert demo.apply(plan, desired).status == "complete"
    use_family(demo.root, _family("one", "first", "d"))
    first = demo.plan()
    use_family(demo.root, _family("one", "second", "d"))
    second = demo.plan()  # planned while the note is still "seven"
    assert demo.apply(first[1], first[0]).status == "complete"
    result = demo.apply(second[1], second[0])
    assert result.status == "failed"
    change = {r.address: r for r in result.results}[COLLECTION.format(size="7B")]
    assert change.status == "failed"
    assert "the note changed to 'first' since the plan saw 'seven'" in change.error
    assert _notes(demo)[0]["acme/Demo-7B"] == "first"


def test_a_setting_changed_since_the_plan_is_not_overwritten(demo: Demo, capsys) -> None:
    assert demo.cli("apply", "--auto-approve", *demo.hub_args, capsys=capsys).code == 0
    desired, plan = demo.plan("families.demo.variants.7B.gated=manual")
    demo.api.update_repo_settings("acme/Demo-7B", gated=False)  # someone else, meanwhile
    result = demo.apply(plan, desired)
    assert result.status == "failed"
    [change] = [r for r in result.results if r.address == "settings:acme/Demo-7B"]
    assert change.status == "failed"
    assert "gating changed to False since the plan saw 'auto'; not changed" in change.error
    assert demo.api.model_info("acme/Demo-7B", expand=["gated"]).gated is False
    # Planned again, the same change applies; applied twice, the second finds it done.
    desired, plan = demo.plan("families.demo.variants.7B.gated=manual")
    assert demo.apply(plan, desired).status == "complete"
    again = demo.apply(plan, desired)
    assert again.status == "complete"
    assert [r.note for r in again.results] == ["gating already manual"]
    assert demo.api.model_info("acme/Demo-7B", expand=["gated"]).gated == "manual"
