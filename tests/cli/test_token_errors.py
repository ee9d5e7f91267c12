"""Tokens as a newcomer meets them: HF_TOKEN exported, `hf auth login`, a token pasted into the
config. The user's huggingface.co token never reaches a local hub, and no token is ever printed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from errorkit import HF_LIKE_TOKEN, Newcomer

from release.localhub import LocalHub
from release.localhub.testing import ALICE_TOKEN


def test_an_exported_hf_token_does_not_break_the_embedded_hub(
        release, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HF_TOKEN", HF_LIKE_TOKEN)
    monkeypatch.setenv("HUGGING_FACE_HUB_TOKEN", HF_LIKE_TOKEN)
    result = release("plan")
    assert result.code == 0, result.err
    assert "Plan: " in result.out
    assert HF_LIKE_TOKEN not in result.out + result.err
    assert "Using the token" not in result.err  # the embedded hub's own token: nothing to say


def test_an_exported_hf_token_is_not_sent_to_a_served_local_hub(
        release, local_hub: LocalHub, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    # A strict local hub answers 401 to any token it does not know: had HF_TOKEN been sent, the
    # plan would fail. With hub.token_env naming the local hub's variable, that token is used.
    monkeypatch.setenv("HF_TOKEN", HF_LIKE_TOKEN)
    monkeypatch.setenv("LOCALHUB_TOKEN", ALICE_TOKEN)
    result = release("plan", f"hub.endpoint={local_hub.endpoint}", "hub.token_env=LOCALHUB_TOKEN")
    assert result.code == 0, result.err
    assert f"Using the token from $LOCALHUB_TOKEN for {local_hub.endpoint}." in result.err
    assert HF_LIKE_TOKEN not in result.out + result.err and ALICE_TOKEN not in result.err


def test_the_local_hub_refuses_to_be_given_hf_token(release, local_hub: LocalHub,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HF_TOKEN", HF_LIKE_TOKEN)
    for command in ("validate", "plan"):
        release(command, f"hub.endpoint={local_hub.endpoint}", "hub.token_env=HF_TOKEN").check(
            "Error: override 'hub.token_env=HF_TOKEN': hub.token_env: the local hub is never "
            "given the huggingface.co token in HF_TOKEN (name a variable of its own",
            hub=local_hub)
    assert local_hub.stats()["total"] == 0


def test_hf_auth_login_token_is_used_for_huggingface_and_its_source_said(
        release, local_hub: LocalHub, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from huggingface_hub import constants

    stored = tmp_path / "hf-home" / "token"
    stored.parent.mkdir()
    stored.write_text(ALICE_TOKEN + "\n")  # as `hf auth login` writes it
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(stored))
    # hub=huggingface, pointed at a strict local hub standing in for huggingface.co.
    result = release("plan", "hub=huggingface", f"hub.endpoint={local_hub.endpoint}")
    assert result.code == 0, result.err
    assert (f"Using the token from the file 'hf auth login' stored ({stored}) for "
            f"{local_hub.endpoint}.") in result.err
    assert ALICE_TOKEN not in result.out + result.err

    monkeypatch.setenv("HF_TOKEN", ALICE_TOKEN)  # the variable comes first, as in huggingface_hub
    stored.write_text("hf_not_a_token_the_hub_knows\n")
    result = release("plan", "hub=huggingface", f"hub.endpoint={local_hub.endpoint}")
    assert result.code == 0, result.err
    assert f"Using the token from $HF_TOKEN for {local_hub.endpoint}." in result.err


def test_no_token_at_all_for_huggingface(release, local_hub: LocalHub, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "none" / "token"))
    release("plan", "hub=huggingface", f"hub.endpoint={local_hub.endpoint}").check(
        "Error: no Hub token: the environment variable HF_TOKEN is not set and no token is "
        "stored by 'hf auth login'", "run 'hf auth login', or export HF_TOKEN=", hub=local_hub)
    assert local_hub.stats()["total"] == 0


def test_a_token_pasted_as_token_env_is_refused_at_validate_and_never_echoed(
        release, newcomer: Newcomer, local_hub: LocalHub) -> None:  # type: ignore[no-untyped-def]
    newcomer.write("conf/hub/huggingface.yaml", f"""\
        kind: huggingface
        endpoint: {local_hub.endpoint}
        token_env: {HF_LIKE_TOKEN}
        """)
    expected = ("hub.token_env: this looks like a token itself, not the name of the "
                "environment variable that holds it (the value is not shown) (keep tokens out "
                "of the config: export HF_TOKEN=<token> and write token_env: HF_TOKEN")
    for command in ("validate", "plan", "apply"):
        release(command, "hub=huggingface").check(
            f"Error: conf/hub/huggingface.yaml:3:12: {expected}", hub=local_hub)
    # Given as an override, the override's text (which holds the token) is redacted.
    release("validate", f"hub.token_env={HF_LIKE_TOKEN}").check(
        f"Error: override 'hub.token_env=hf_***': {expected}")
    assert local_hub.stats()["total"] == 0


@pytest.mark.parametrize(("endpoint", "problem"), [
    ("127.0.0.1:8000", "is not an http:// or https:// URL"),
    ("localhost:8000", "is not an http:// or https:// URL"),
    ("http://", "has no host name"),
    ("http://127.0.0.1:80x0", "has an invalid port"),
])
def test_an_endpoint_that_is_not_a_url(release, endpoint: str, problem: str) -> None:  # type: ignore[no-untyped-def]
    release("plan", f"hub.endpoint={endpoint}").check(
        f"Error: override 'hub.endpoint={endpoint}': hub.endpoint: '{endpoint}' {problem} "
        "(e.g. http://127.0.0.1:8000 for a local hub started with 'release hub serve'")


def test_a_bad_rate_limit_is_a_config_error_at_its_line(release, newcomer: Newcomer) -> None:  # type: ignore[no-untyped-def]
    # Found by `validate` (it passed before) and reported at its file:line, not as a bare
    # "hub.rate_limit: ..." once the embedded hub starts.
    newcomer.write("conf/hub/local.yaml", """\
        kind: local
        data_dir: .release/localhub
        rate_limit: 10/3sec
        """)
    expected = ("Error: conf/hub/local.yaml:3:13: hub.rate_limit: rate limit '10/3sec': "
                "expected REQUESTS/WINDOW, e.g. 1000/300s or 1000/5m")
    for command in ("validate", "plan"):
        release(command).check(expected)
    release("validate", "hub.rate_limit=0/3s").check(
        "Error: override 'hub.rate_limit=0/3s': hub.rate_limit: rate limit '0/3s': requests "
        "and window must be at least 1")
