"""The one place release leans on private huggingface_hub hooks: `HfApi._validate_yaml`, and
the preupload answer of a `CommitOperationAdd` (`preset_regular_uploads`).

huggingface_hub's `create_commit` sends `POST /api/validate-yaml` for every commit that adds a
README.md, before uploading (hf_api.py: `self._validate_yaml(content, ...)`). `release apply`
already asks the Hub that question for every card it writes, before the first write
(`workflow.refuse_invalid_cards`, through this same method), so asking again per commit costs
one request per card for an answer it has. `ReleaseHfApi` remembers what the Hub accepted in
this session by `cards.validation_key` (repo type + the front-matter metadata a user writes;
not the body, not release's provenance block: see there why the Hub's verdict cannot differ
within one key) and skips the repeat for every README with that key; any other README goes to
the Hub as before. So one accepted card of 1000 with the same `card.metadata` answers for all.

Skipping is safe: the Hub validates the metadata again on the commit itself (400 `Invalid
metadata in README.md`), so nothing invalid lands either way. If huggingface_hub renames or
stops calling the hook, tests/localhub/test_hfapi_hook.py fails (it counts validate-yaml
requests on the local hub), rather than the saving silently disappearing or doubling.

The second is `CommitOperationAdd._upload_mode` (with `_should_ignore` and `_remote_oid`):
`create_commit` asks `POST .../preupload/{rev}` only about additions whose `_upload_mode` is
still None (hf_api.py `preupload_lfs_files`: "For some items, we might have already fetched the
upload mode"), then inlines the "regular" ones base64 in the commit body. For the first commit
into a repo that holds only the Hub's initial commit (its default `.gitattributes`, nothing
else), the answer for a small UTF-8 text file with a text suffix is known: regular, not ignored,
no remote file. `preset_regular_uploads` fills it in for exactly those files and leaves every
other addition to preupload. A wrong guess cannot land silently: the Hub refuses inline binary
or oversized content (the local hub too, and also inline content at a path `.gitattributes`
routes to LFS: release/localhub/api_commit.py). tests/localhub/test_preset_regular.py counts
preupload requests, so it fails if the client stops honouring a preset mode.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any

from huggingface_hub import CommitOperationAdd, HfApi

from release.artifacts.hashing import LfsRules
from release.cards import validation_key


def validation_group(content: str, repo_type: str | None) -> str:
    """READMEs with one group get one verdict from the Hub's validate-yaml (see the module)."""
    return f"{repo_type or 'model'}:{validation_key(content)}"


class ReleaseHfApi(HfApi):
    """`HfApi` that asks the Hub to validate README metadata at most once per session and
    `validation_group` (each refusal is asked again: only acceptance is remembered)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._validated: set[str] = set()
        self._validated_lock = threading.Lock()

    def _validate_yaml(self, content: str, *, repo_type: str | None = None,
                       token: bool | str | None = None) -> None:
        key = validation_group(content, repo_type)
        with self._validated_lock:
            if key in self._validated:
                return  # the Hub accepted this metadata already; the commit checks it again
        super()._validate_yaml(content, repo_type=repo_type, token=token)  # raises if refused
        with self._validated_lock:
            self._validated.add(key)


#: Suffixes of text formats that no line of the Hub's default `.gitattributes` routes to LFS.
#: That default (release.artifacts.hashing.DEFAULT_LFS_PATTERNS, the same list the local hub
#: writes) is what the Hub puts in every new model repo: `*.7z` ... `*.safetensors`,
#: `saved_model/**/*`, `*.tar.*`, ... `*.zst`, `*tfevents*`, e.g. as copied verbatim from
#: huggingface.co repos into GitHub projects (the library's code search for `*tfevents*
#: filter=lfs diff=lfs merge=lfs -text`: each copy ends there; dataset repos add audio and image
#: formats, none of them text). No line names `*.json`, `*.md` or any other suffix here; note
#: that `*.model` (sentencepiece) and `*.bin` are LFS, so they are not here either. A path is
#: still checked against the default rules, for the patterns that are not suffixes (`*.lfs.*`,
#: `*tfevents*`, `saved_model/**/*`, `*.tar.*`).
TEXT_SUFFIXES = frozenset({
    ".md", ".json", ".txt", ".yaml", ".yml", ".py", ".jinja", ".cfg", ".toml",
})

#: A tenth of the Hub's limit for regular files (~10 MB, then it answers "lfs" and refuses them
#: inline): no rounding of "10 MB" can put a file this small on the wrong side. It also bounds
#: the read below (the content is read once more here, only for files this small).
PRESET_MAX_SIZE = 1024 * 1024

#: C0 control characters other than tab, LF and CR, and DEL: no text format here holds them,
#: while binary formats do (the Hub's binary detection looks at such bytes).
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

#: Files that change what preupload answers for the others: `.gitattributes` (which paths are
#: LFS) and `.gitignore` (`shouldIgnore`), at any depth, since git reads nested ones too.
_RULE_FILES = frozenset({".gitattributes", ".gitignore"})

_DEFAULT_LFS = LfsRules.default()


def preset_regular_uploads(operations: Iterable[Any], *, fresh_repo: bool) -> int:
    """Preset the Hub's preupload answer on the additions that are surely regular; return how
    many were preset (0 to all of them; the client asks preupload about the others as before).

    `fresh_repo` is the caller's promise that the commit goes into a repo holding only the
    Hub's initial commit (its default `.gitattributes`): then no file of the commit exists on
    the Hub (`_remote_oid` None: nothing to skip as unchanged) and no `.gitignore` applies
    (`_should_ignore` False). Without that promise nothing is preset. An addition is preset
    only if its mode is not set yet, it has at most PRESET_MAX_SIZE bytes, its path has a
    suffix in TEXT_SUFFIXES and matches no default LFS pattern, and its whole content is UTF-8
    text without NUL or other control characters; nothing is preset when the commit touches a
    `.gitattributes` or `.gitignore`.
    """
    if not fresh_repo:
        return 0
    operations = list(operations)
    if any(PurePosixPath(str(getattr(op, "path_in_repo", ""))).name in _RULE_FILES
           for op in operations):
        return 0  # the commit changes the rules preupload would answer by: ask it
    preset = 0
    for op in operations:
        if not isinstance(op, CommitOperationAdd) or op._upload_mode is not None \
                or op._is_uploaded or not _surely_regular(op):
            continue
        op._upload_mode = "regular"
        op._should_ignore = False
        op._remote_oid = None
        preset += 1
    return preset


def may_be_regular(path: str, size: int | None) -> bool:
    """Whether a file of this path and size can be surely regular (`preset_regular_uploads`
    still reads its content to be sure): a text suffix, no default LFS pattern, at most
    PRESET_MAX_SIZE bytes. Apply uses it to tell, from the plan alone, a first commit that is
    sent right away (no preupload, no LFS upload) from one that uploads first."""
    return (size is not None and size <= PRESET_MAX_SIZE
            and PurePosixPath(path).suffix.lower() in TEXT_SUFFIXES
            and not _DEFAULT_LFS.matches(path))


def _surely_regular(op: CommitOperationAdd) -> bool:
    size = op.upload_info.size
    if not may_be_regular(op.path_in_repo, size):
        return False
    content = _read_small(op.path_or_fileobj, PRESET_MAX_SIZE + 1)
    if content is None or len(content) != size:
        return False  # changed since the client measured it: let preupload see it
    try:
        content.decode("utf-8")  # strict: a text format here is UTF-8 (JSON must be)
    except UnicodeDecodeError:
        return False
    return _CONTROL.search(content) is None


def _read_small(source: Any, limit: int) -> bytes | None:
    """Up to `limit` bytes of an addition's content, read directly (not through `as_file`, which
    a subclass may hook for its upload accounting); a file object is left where it was."""
    if isinstance(source, bytes):
        return source[:limit]
    if isinstance(source, str):
        try:
            with open(source, "rb") as file:
                return file.read(limit)
        except OSError:
            return None
    if isinstance(source, io.BufferedIOBase):
        position = source.tell()
        try:
            return source.read(limit)
        finally:
            source.seek(position)
    return None
