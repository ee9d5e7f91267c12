"""What the Hub refuses is shown in its own words, with the object's address and a next step."""

from __future__ import annotations

from release.localhub import LocalHub


def test_a_403_for_the_storage_quota_shows_the_hubs_message(release, open_hub: LocalHub) -> None:  # type: ignore[no-untyped-def]
    # The Hub answers 403 past the private storage quota (huggingface_hub#3048): not a token
    # problem, and the user must see that.
    open_hub.set_faults([{"kind": "refuse", "endpoint": "commit", "status": 403,
                          "message": "Private repository storage limit reached"}])
    result = release("apply", "--auto-approve", f"hub.endpoint={open_hub.endpoint}")
    assert result.code == 1
    text = result.out + result.err
    assert ("card:acme/Demo-1B-Base: 403 — the Hub refused: Private repository storage limit "
            "reached; free private storage (delete private repos you no longer need, or make "
            "released ones public) or raise the account's storage plan, then re-run 'release "
            "apply'; it converges where it stopped") in text, text
    assert "no write access" not in text and "Traceback" not in text


def test_a_403_for_rights_names_the_namespace_and_keeps_the_hubs_words(
        release, open_hub: LocalHub) -> None:  # type: ignore[no-untyped-def]
    message = "You don't have the rights to create a repo under the namespace acme"
    open_hub.set_faults([{"kind": "refuse", "endpoint": "create_repo", "message": message}])
    result = release("apply", "--auto-approve", f"hub.endpoint={open_hub.endpoint}")
    assert result.code == 1
    assert (f"repo:acme/Demo-1B-Base: 403 — the Hub refused: {message}; check that the token "
            "may write to 'acme' ('hf auth login' with a write token), then re-run 'release "
            "apply'") in result.out + result.err


def test_an_endpoint_answering_404_is_not_called_unreachable(release, open_hub: LocalHub) -> None:  # type: ignore[no-untyped-def]
    endpoint = f"{open_hub.endpoint}/not-a-hub"
    for command in ("plan", "apply"):
        result = release(command, f"hub.endpoint={endpoint}")
        result.check(f"Error: hub: {endpoint} answered 404 to the Hub API (",
                     "check hub.endpoint: it is the server's root URL", hub=open_hub)
        assert "cannot reach" not in result.err


def test_an_endpoint_nobody_answers_at(release, open_hub: LocalHub) -> None:  # type: ignore[no-untyped-def]
    release("plan", "hub.endpoint=http://127.0.0.1:9").check(
        "Error: hub: cannot reach the Hub at http://127.0.0.1:9: ConnectError; check the "
        "network and the hub endpoint")
