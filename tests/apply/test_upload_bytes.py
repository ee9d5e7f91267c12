"""Per-change byte counts are what the Hub received (issue 18, step 2).

huggingface_hub uploads the LFS files of one commit on threads of its own; their requests are
charged to the change whose operations they stream (`known_add`), so each change's
`bytes_uploaded` holds its uploads, and the changes together add up to exactly the request-body
bytes the local hub received (`body_bytes` in its stats).
"""

from __future__ import annotations

from applykit import Demo, safetensors

from release.apply.content import upload_size


def test_per_change_bytes_add_up_to_what_the_hub_received(demo: Demo) -> None:
    for seed, name in enumerate(("main-1b", "main-7b")):  # 2 LFS files per commit: client threads
        folder = demo.root / "checkpoints" / name
        (folder / "extra.safetensors").write_bytes(safetensors(400_000, 40 + seed))
    desired, plan = demo.plan()
    demo.hub.reset_stats()
    result = demo.apply(plan, desired)
    assert result.status == "complete", result.to_json()
    received = demo.hub.stats()
    assert received["body_bytes_by_endpoint"]["lfs_upload"] > 3_000_000

    # Everything is charged to a change but the card checks apply makes before any write
    # (validate-yaml, once per distinct card metadata; create_commit does not ask again:
    # release.hub.hfapi).
    uncharged = received["body_bytes"] - sum(r.bytes_uploaded for r in result.results)
    assert 0 < uncharged == received["body_bytes_by_endpoint"]["validate_yaml"]
    sent = {r.address: r.bytes_uploaded for r in result.results}
    for commit in plan.content_commits():  # card + files of a branch: one commit, one change
        first = commit.card if commit.card is not None else commit.files
        assert first is not None
        assert sent[first.address] >= upload_size(commit), first.address
    assert sent["card:acme/Demo-7B"] > 1_600_000  # both LFS files of main, on client threads
