"""`preset_regular_uploads` (release.hub.hfapi) answers preupload's question for the surely-regular
files of a fresh repo's first commit, and the local hub refuses what the Hub refuses inline.

The request counts make these tests fail loudly if huggingface_hub stops honouring a preset
`_upload_mode` (a preupload request comes back) or starts trusting it for files it must not
(the commit then lands wrong or is refused here)."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi
from huggingface_hub.errors import BadRequestError

from release.apply.content import known_add
from release.artifacts.hashing import DEFAULT_LFS_PATTERNS
from release.hub.hfapi import PRESET_MAX_SIZE, preset_regular_uploads
from release.localhub import LocalHub
from release.localhub.gitattributes import default_gitattributes
from release.localhub.testing import hub_api
from release.state import git_blob_sha1

CARD = b"---\nlicense: mit\n---\n# A model\n\nText with UTF-8: caf\xc3\xa9, tabs\tand CRLF\r\n"
CONFIG = b'{"architectures": ["LlamaForCausalLM"], "hidden_size": 64}\n'
REPO = "alice/fresh"


@pytest.fixture
def api(make_api) -> HfApi:
    api = make_api()
    api.create_repo(REPO)
    return api


def _calls(hub: LocalHub) -> dict[str, int]:
    return dict(hub.stats()["by_endpoint"])


def _first_commit() -> list[CommitOperationAdd]:
    return [CommitOperationAdd("README.md", CARD), CommitOperationAdd("config.json", CONFIG)]


def _assert_regular(api: HfApi, files: dict[str, bytes]) -> None:
    infos = {i.path: i for i in api.get_paths_info(REPO, list(files))}
    for path, data in files.items():
        assert infos[path].lfs is None, path
        assert infos[path].blob_id == git_blob_sha1(data), path
        assert Path(api.hf_hub_download(REPO, path)).read_bytes() == data


def test_a_preset_first_commit_sends_no_preupload(api, local_hub) -> None:
    operations = _first_commit()
    assert preset_regular_uploads(operations, fresh_repo=True) == 2
    local_hub.reset_stats()
    api.create_commit(REPO, operations, commit_message="first")
    calls = _calls(local_hub)
    # If this fails with a preupload count of 1, huggingface_hub no longer skips additions whose
    # `_upload_mode` is set (hf_api.py preupload_lfs_files): the saving is gone, see hfapi.py.
    assert calls.get("preupload", 0) == 0
    assert calls["commit"] == 1
    _assert_regular(api, {"README.md": CARD, "config.json": CONFIG})


def test_without_the_preset_the_same_commit_asks_preupload_once(api, local_hub) -> None:
    local_hub.reset_stats()
    api.create_commit(REPO, _first_commit(), commit_message="first")
    assert _calls(local_hub)["preupload"] == 1
    _assert_regular(api, {"README.md": CARD, "config.json": CONFIG})


def test_binary_and_large_files_of_the_same_commit_still_go_through_preupload(
        api, local_hub) -> None:
    weights = b"\x08\x00\x00\x00\x00\x00\x00\x00{}      " + os.urandom(4096)
    big_text = b"0123456789abcdef\n" * (2 * 1024 * 1024 // 17)  # 2 MB: regular on the Hub
    odd = b"a\x01b text with a control character\n"
    operations = [*_first_commit(), CommitOperationAdd("model.safetensors", weights),
                  CommitOperationAdd("notes.txt", big_text),
                  CommitOperationAdd("odd.txt", odd)]
    assert preset_regular_uploads(operations, fresh_repo=True) == 2
    assert [op._upload_mode for op in operations] == ["regular", "regular", None, None, None]
    local_hub.reset_stats()
    api.create_commit(REPO, operations, commit_message="first")
    calls = _calls(local_hub)
    assert calls["preupload"] == 1 and calls["lfs_batch"] == 1 and calls["commit"] == 1
    info = api.get_paths_info(REPO, ["model.safetensors"])[0]
    assert info.lfs is not None and info.lfs.sha256 == hashlib.sha256(weights).hexdigest()
    _assert_regular(api, {"README.md": CARD, "config.json": CONFIG, "notes.txt": big_text,
                          "odd.txt": odd})


def test_a_path_backed_known_add_is_preset_and_lands(api, local_hub, tmp_path) -> None:
    # The apply's operations (release.apply.content.known_add) carry known hashes; the preset
    # reads the small file directly and the client then takes the known blob sha1 as is.
    path = tmp_path / "generation_config.json"
    path.write_bytes(CONFIG)
    op = known_add("generation_config.json", path, hashlib.sha256(CONFIG).hexdigest(),
                   git_blob_sha1(CONFIG))
    handle = io.BytesIO(b"handle: a file object is read and put back\n")
    operations = [op, CommitOperationAdd("from_handle.yaml", handle)]
    position = handle.tell()  # where the client left it, and reads the content from
    assert preset_regular_uploads(operations, fresh_repo=True) == 2
    assert handle.tell() == position
    assert op._local_oid == git_blob_sha1(CONFIG)
    local_hub.reset_stats()
    api.create_commit(REPO, operations, commit_message="first")
    assert _calls(local_hub).get("preupload", 0) == 0
    _assert_regular(api, {"generation_config.json": CONFIG,
                          "from_handle.yaml": handle.getvalue()})


def test_release_knows_the_default_gitattributes_the_hub_writes() -> None:
    # The preset leans on this list (no line routes a TEXT_SUFFIXES file to LFS); it once missed
    # `*.lfs.*` and `*.tar`, which the Hub's default has.
    written = [line.split()[0] for line in default_gitattributes("model").decode().splitlines()]
    assert list(DEFAULT_LFS_PATTERNS) == written


@pytest.mark.parametrize("path, data", [
    ("tokenizer.model", b"text, but *.model is LFS by default\n"),
    ("weights.bin", b"text, but *.bin is LFS by default\n"),
    ("notes.lfs.json", b"{}\n"),  # *.lfs.*
    ("runs/events.out.tfevents.1.txt", b"x\n"),  # *tfevents*
    ("saved_model/config.json", b"{}\n"),  # saved_model/**/*
    ("backup.tar.json", b"{}\n"),  # *.tar.*
    ("image.png", b"not text formats we preset\n"),
    ("Makefile", b"no suffix\n"),
    ("data.json", b'{"a": "\x00"}'),  # NUL
    ("data.json", b'{"a": "\x1b[31m"}'),  # control character
    ("latin1.txt", b"caf\xe9\n"),  # not UTF-8
    ("big.txt", b"a" * (PRESET_MAX_SIZE + 1)),
])
def test_what_is_not_surely_regular_is_left_to_preupload(path, data) -> None:
    op = CommitOperationAdd(path, data)
    assert preset_regular_uploads([op], fresh_repo=True) == 0
    assert op._upload_mode is None


def test_nothing_is_preset_unless_fresh_or_when_the_rules_change() -> None:
    assert preset_regular_uploads(_first_commit(), fresh_repo=False) == 0
    for rules in (".gitattributes", ".gitignore", "sub/.gitattributes"):
        operations = [*_first_commit(), CommitOperationAdd(rules, b"*.json filter=lfs\n")]
        assert preset_regular_uploads(operations, fresh_repo=True) == 0
    deleting = [*_first_commit(), CommitOperationDelete(".gitattributes")]
    assert preset_regular_uploads(deleting, fresh_repo=True) == 0
    answered = CommitOperationAdd("config.json", CONFIG)
    answered._upload_mode = "lfs"  # a mode already known is never overridden
    assert preset_regular_uploads([answered], fresh_repo=True) == 0
    assert answered._upload_mode == "lfs"
    empty = CommitOperationAdd("empty.txt", b"")
    assert preset_regular_uploads([empty], fresh_repo=True) == 1  # the client forces it anyway


# --- The local hub refuses what the Hub refuses inline (the unmodified client sends it). ---

def _regular(path: str, data: bytes) -> CommitOperationAdd:
    """An addition the client will inline: a wrong guess, as a faulty preset would make it."""
    op = CommitOperationAdd(path, data)
    op._upload_mode, op._should_ignore, op._remote_oid = "regular", False, None
    return op


def _refused(api: HfApi, local_hub: LocalHub, operations: list[CommitOperationAdd],
             text: str, offending: str) -> None:
    local_hub.reset_stats()
    with pytest.raises(BadRequestError) as refused:
        api.create_commit(REPO, operations, commit_message="refused")
    message = str(refused.value)
    assert text in message
    assert f"Offending files:\n  - {offending} (ref: refs/heads/main)" in message
    assert [c.title for c in api.list_repo_commits(REPO)] == ["initial commit"]


def test_binary_content_whose_sample_looks_like_text_is_refused_inline(api, local_hub) -> None:
    # The real case: a binary .ply has an ASCII header, so preupload (which sees 512 bytes)
    # answers "regular", and the Hub refuses the whole content on the commit.
    ply = b"ply\nformat binary_little_endian 1.0\n" + b"comment pad\n" * 60 \
        + b"end_header\n" + bytes(range(256))
    _refused(api, local_hub, [CommitOperationAdd("mesh.ply", ply)],
             "Your push was rejected because it contains binary files.", "mesh.ply")
    assert _calls(local_hub)["preupload"] == 1


def test_content_above_10_mib_is_refused_inline(api, local_hub) -> None:
    big = b"0123456789abcde\n" * (10 * 1024 * 1024 // 16 + 1)
    _refused(api, local_hub, [_regular("huge.txt", big)],
             "contains files larger than 10 MiB", "huge.txt")


def test_a_path_gitattributes_routes_to_lfs_is_refused_inline(api, local_hub) -> None:
    _refused(api, local_hub, [_regular("tokenizer.model", b"text at an LFS path\n")],
             "that .gitattributes stores in LFS", "tokenizer.model")
    # The commit's own .gitattributes counts: here it routes *.json to LFS.
    _refused(api, local_hub, [CommitOperationAdd(".gitattributes", b"*.json filter=lfs\n"),
                              _regular("config.json", CONFIG)],
             "that .gitattributes stores in LFS", "config.json")


def test_empty_files_and_regular_only_mode_stay_accepted(api, local_hub, tmp_path) -> None:
    # The client inlines empty files whatever preupload says: the Hub stores them.
    api.create_commit(REPO, [CommitOperationAdd("empty.safetensors", b"")],
                      commit_message="empty")
    assert api.get_paths_info(REPO, ["empty.safetensors"])[0].size == 0
    with LocalHub(tmp_path / "regular-only", regular_only=True) as hub:
        other = hub_api(hub)
        other.create_repo("any/model")
        other.create_commit("any/model", [CommitOperationAdd("w.bin", b"\x00" * 64),
                                          _regular("x.model", b"text\n")],
                            commit_message="everything inline, as documented")
        assert {i.path for i in other.get_paths_info("any/model", ["w.bin", "x.model"])} \
            == {"w.bin", "x.model"}
