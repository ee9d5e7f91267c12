"""One content commit: its operations, its message (with provenance trailers), its check.

A `ContentCommit` (card + files of one branch) becomes one `create_commit`. Local files are
checked as the operations are built and refused if they changed since the plan: what was
reviewed is what is uploaded. The check reads nothing when the hash cache vouches for the file
(its stat is the one the scan hashed), and huggingface_hub is handed the known sha256 and blob
sha1 (`known_add`): an apply reads each uploaded byte once more, only to send it. A file whose
folder is not on this machine (plans come from the lock) is copied from where the same content already is in the
repo (`find_sources`, a `CommitOperationCopy`: LFS objects are reused, nothing is uploaded).
`mismatches` compares a branch's files on the Hub with what the commit would leave there, to
decide whether a commit that found the branch moved (412, or the client's no-op short cut) is
already done.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from release.artifacts.cache import FileStamp, HashCache
from release.artifacts.hashing import hash_file
from release.errors import ReleaseError
from release.hub.write import APPLY_ID_TRAILER, TAG_TRAILER
from release.origin import Origin
from release.plan.carddiff import MetadataChange
from release.plan.describe import size, split_provenance, value
from release.plan.model import CommitFiles, ContentCommit, FileOperation, UpdateCard
from release.state import ObservedFile, Provenance, git_blob_sha1, split_card

if TYPE_CHECKING:
    from release.hub.client import RequestMeter, Tally

README = "README.md"


class LocalFileChanged(ReleaseError):
    """A checkpoint file differs from the one the plan hashed."""


def card_provenance(card_text: str) -> Provenance | None:
    """The provenance block inside a card's front matter, if any."""
    return Provenance.from_metadata(split_card(card_text)[0])


@dataclass(frozen=True)
class HubCopy:
    """Where a file's content already is in the same repo: a commit and a path."""

    revision: str
    path: str


#: (branch, path in repo) -> the copy that provides a file whose folder is not here.
Copies = Mapping[tuple[str, str], HubCopy]


class ContentUnavailable(ReleaseError):
    """Files the plan adds that are neither in their folder here nor anywhere in the repo."""


def find_sources(repo_id: str, commits: list[ContentCommit], root: Path,
                 heads: Callable[[str], Mapping[str, str]],
                 tree: Callable[[str, str], Mapping[str, ObservedFile]]) -> dict[
                     tuple[str, str], HubCopy]:
    """Copies for the files of `commits` whose local file is not under `root`.

    `heads(repo_id)` gives the repo's branch heads ({} if it does not exist yet) and
    `tree(repo_id, commit)` a commit's files (cached by sha). Only read when some file is
    absent. Raises ContentUnavailable naming every file found nowhere, before any write.
    """
    absent = [(commit.branch, op) for commit in commits if commit.files is not None
              for op in commit.files.operations
              if op.op != "delete" and op.data() is None and op.local_path is not None
              and not (root / op.local_path).is_file()]
    if not absent:
        return {}
    by_sha256: dict[str, HubCopy] = {}
    by_oid: dict[str, HubCopy] = {}
    for _, head in sorted(heads(repo_id).items()):
        for file in tree(repo_id, head).values():
            if file.lfs_sha256 is not None:
                by_sha256.setdefault(file.lfs_sha256, HubCopy(head, file.path))
            by_oid.setdefault(file.oid, HubCopy(head, file.path))
    copies: dict[tuple[str, str], HubCopy] = {}
    nowhere: list[str] = []
    for branch, op in absent:
        found = by_sha256.get(op.sha256 or "") or (by_oid.get(op.git_sha1)
                                                    if op.git_sha1 else None)
        if found is None:
            nowhere.append(f"{op.path} on {branch} (expected at {op.local_path})")
        else:
            copies[(branch, op.path)] = found
    if nowhere:
        listed = "; ".join(nowhere[:5]) + (f"; and {len(nowhere) - 5} more"
                                           if len(nowhere) > 5 else "")
        raise ContentUnavailable(
            f"repo:{repo_id}: {len(nowhere)} file(s) are neither on this machine nor anywhere "
            f"in the repo on the Hub: {listed}. Run apply where the checkpoint folders are (the "
            "machine that ran `release lock`), or copy them here. Nothing was written")
    return copies


@dataclass
class LocalFiles:
    """Checks a checkpoint file against the plan's hashes, reading it only when it must.

    `cache` is the project's hash cache (the scan's): a file whose stat is the one an entry
    was hashed at has that entry's hashes, as a warm re-plan trusts them. Otherwise (another
    machine made the plan, or the file was written too recently to be cached) it is hashed
    here, once. Thread-safe: repo workers share one. `bytes_hashed` counts what was read.
    """

    cache: HashCache | None = None
    bytes_hashed: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def hashes(self, path: Path, need_git_sha1: bool) -> tuple[FileStamp, str, str | None]:
        """(stamp, sha256, git blob sha1 or None) of the file at `path` as it is now."""
        stamp = FileStamp.of(os.stat(path))
        if self.cache is not None:
            with self._lock:
                found = self.cache.lookup(os.path.realpath(path), stamp,
                                          need_git_sha1=need_git_sha1)
            if found is not None:
                return stamp, found[0], found[1]
        hashed = hash_file(path, size=stamp.size, git_sha1=need_git_sha1)
        with self._lock:
            self.bytes_hashed += hashed.size
        if hashed.size != stamp.size or FileStamp.of(os.stat(path)) != stamp:
            return stamp, "", None  # being written to: matches no plan
        return stamp, hashed.sha256, hashed.git_sha1


@dataclass(frozen=True)
class UploadWatch:
    """Where a commit's uploads report progress: `moved(n)` as huggingface_hub streams an LFS
    file's bytes to the Hub (re-sends included), `sent(path, size, note)` once a file is on the
    Hub (note: how, when it was not streamed here)."""

    moved: Callable[[int], None]
    sent: Callable[[str, int, str], None]


def known_add(path_in_repo: str, local_path: Path, sha256: str, git_sha1: str | None,
              watch: UploadWatch | None = None) -> Any:
    """A CommitOperationAdd for a local file whose hashes are known: huggingface_hub does not
    read it to hash it again (only to send it). `watch` follows its LFS upload.

    The one place that relies on huggingface_hub 2.4.0 internals: `UploadInfo` hashes a path
    lazily (`is_hashed`, a `sha256` setter) and `CommitOperationAdd._local_oid` reads a regular
    file for its blob sha1. tests/apply/test_hash_once.py fails if either changes. Should the
    client hash eagerly one day, the hash it computed is compared instead: slower, still right.
    """
    from release.hub.client import request_meter

    add = _known_add_type()(path_in_repo, str(local_path))
    add.known_git_sha1 = git_sha1
    add.watch = watch
    add.meter = request_meter()
    add.charge_to = add.meter.owner()  # the change this operation is built for
    info = add.upload_info
    if getattr(info, "is_hashed", True) is False:
        info.sha256 = bytes.fromhex(sha256)
    elif info.sha256.hex() != sha256:
        raise LocalFileChanged(f"{local_path} changed while the commit was being prepared")
    return add


@cache
def _known_add_type() -> type:
    from huggingface_hub import CommitOperationAdd

    class KnownAdd(CommitOperationAdd):
        # Class defaults, not dataclass fields (set by `known_add`).
        known_git_sha1: str | None = None
        watch: UploadWatch | None = None
        streamed = False  # its LFS upload went through `as_file` and was reported
        meter: RequestMeter | None = None
        charge_to: Tally | None = None

        @property
        def _local_oid(self) -> str | None:
            # The client reads a regular (non-LFS) file whole to sha1 it: the scan did.
            if self._upload_mode == "regular" and self.known_git_sha1 is not None:
                return self.known_git_sha1
            oid: str | None = super()._local_oid
            return oid

        @contextmanager
        def as_file(self, with_tqdm: bool = False) -> Iterator[BinaryIO]:
            # Where the client streams the file for an upload, LFS or regular, possibly on a
            # thread of its own: its requests are the change's (and so is the LFS verify that
            # follows on that thread). An LFS upload reads the file through here (with_tqdm:
            # the client's own progress hook) as it sends it: `watch` sees those reads. Xet
            # uploads run in hf_xet, which reads the path itself: unseen, not counted.
            meter = self.meter
            charged = meter.charging(self.charge_to, linger=True) if meter is not None \
                else nullcontext()
            watch = self.watch if self._upload_mode == "lfs" else None
            with charged, super().as_file(with_tqdm) as file:
                if watch is not None:
                    _report_reads(file, watch.moved)
                yield file
            if watch is not None:
                self.streamed = True
                watch.sent(self.path_in_repo, self.upload_info.size, "")

    return KnownAdd


def _report_reads(file: BinaryIO, moved: Callable[[int], None]) -> None:
    """Make `file.read` report how many bytes each call returned (as huggingface_hub's
    `tqdm_stream_file` does for its bars; the HTTP client streams the body through read)."""
    read = file.read

    def counted(size: int | None = -1) -> bytes:
        data = read(-1 if size is None else size)
        moved(len(data))
        return data

    file.read = counted  # type: ignore[method-assign]


def build_operations(commit: ContentCommit, root: Path | None = None,
                     copies: Copies | None = None,
                     files: LocalFiles | None = None,
                     watch: UploadWatch | None = None) -> list[Any]:
    """Fresh huggingface_hub operations for `commit` (they are single-use).

    Relative local paths are under `root` (the project); a file listed in `copies` is copied
    on the Hub instead of uploaded; `files` checks local files against the plan; `watch`
    follows the LFS uploads.
    """
    from huggingface_hub import CommitOperationAdd, CommitOperationCopy, CommitOperationDelete

    operations: list[Any] = []
    if commit.card is not None:
        operations.append(CommitOperationAdd(README, commit.card.new_text.encode()))
    for op in commit.files.operations if commit.files is not None else ():
        if op.op == "delete":
            operations.append(CommitOperationDelete(op.path))
            continue
        data = op.data()
        if data is not None:
            operations.append(CommitOperationAdd(op.path, data))
            continue
        if op.local_path is None:
            raise ReleaseError(f"files:{commit.repo_id}@{commit.branch}: {op.path} has neither "
                               "content nor a local path in the plan; was the file edited?")
        copy = (copies or {}).get((commit.branch, op.path))
        if copy is not None:
            operations.append(CommitOperationCopy(src_path_in_repo=copy.path,
                                                  path_in_repo=op.path,
                                                  src_revision=copy.revision))
            continue
        operations.append(_local_add(commit, op, root or Path("."), files or LocalFiles(),
                                     watch))
    return operations


#: Why a file of a landed commit was not seen streaming (the note of its line).
NOT_STREAMED = "not sent over LFS: the Hub already had its content, or hf_xet sent it"


def files_landed(operations: list[Any]) -> list[tuple[str, int, str]]:
    """(path, size, note) of the local files a landed commit holds that no LFS upload reported:
    the ones in the commit's own body (huggingface_hub's "regular" mode: note ""), and large
    ones whose content the Hub already had or hf_xet uploaded (its own reads: NOT_STREAMED).
    Files the client left out as unchanged are not listed."""
    landed = []
    for op in operations:
        if getattr(op, "watch", None) is None or op.streamed or \
                (op._remote_oid is not None and op._remote_oid == op._local_oid):
            continue
        if op._upload_mode == "regular":
            landed.append((op.path_in_repo, op.upload_info.size, ""))
        elif op._upload_mode == "lfs":
            landed.append((op.path_in_repo, op.upload_info.size, NOT_STREAMED))
    return landed


def _local_add(commit: ContentCommit, op: FileOperation, root: Path, files: LocalFiles,
               watch: UploadWatch | None = None) -> Any:
    address = f"files:{commit.repo_id}@{commit.branch}"
    path = root / str(op.local_path)
    if not path.is_file():
        raise LocalFileChanged(f"{address}: {path} is missing; it was there when the plan was "
                               "made. Restore it, or run 'release plan' again")
    changed = LocalFileChanged(f"{address}: {path} changed since the plan was made (sha256 "
                               "differs); run 'release plan' again and review the new plan")
    if op.size is not None and path.stat().st_size != op.size:
        raise changed
    _, sha256, git_sha1 = files.hashes(path, need_git_sha1=op.git_sha1 is not None)
    if not sha256 or sha256 != (op.sha256 or sha256) or git_sha1 != (op.git_sha1 or git_sha1):
        raise changed
    return known_add(op.path, path, sha256, op.git_sha1 or git_sha1, watch)


def upload_size(commit: ContentCommit) -> int:
    """Bytes the commit adds (before the Hub's de-duplication)."""
    size = len(commit.card.new_text.encode()) if commit.card is not None else 0
    if commit.files is not None:
        size += sum(o.size or 0 for o in commit.files.operations if o.op != "delete")
    return size


def commit_message(commit: ContentCommit, provenance: Provenance | None, config_digest: str,
                   apply_id: str, origin: Origin | None = None) -> tuple[str, str]:
    """(title, description): what changed, then git trailers that trace it to its source.

    The title says what a reader of the history would ask first (`card: license apache-2.0 ->
    mit`, `files: +3 ~1 (14.2 GB)`); the trailers link the commit to the config that asked for
    it (its digest and, where known, its git commit and pull request), the training code
    (upstream) and this apply.
    """
    parts = []
    if commit.card is not None:
        parts.append("card: " + card_summary(commit.card))
    files = commit.files
    card_file = next((o for o in files.operations if o.path == README),
                     None) if files is not None and commit.card is None else None
    if files is not None and card_file is not None:  # the card on a release revision
        parts.append("card: " + {"add": "new", "update": "updated"}.get(card_file.op,
                                                                         card_file.op))
        files = dataclasses.replace(files, operations=tuple(
            o for o in files.operations if o.path != README))
    if files is not None and files.operations:
        parts.append("files: " + files_summary(files))
    title = "; ".join(parts) or f"release: {commit.branch}"
    trailers: list[tuple[str, str | None]] = []
    if provenance is not None:
        trailers += [("Release-Family", provenance.family),
                     ("Release-Variant", provenance.variant),
                     ("Release-Config-Digest", provenance.config_digest or config_digest),
                     ("Upstream-Repo", provenance.upstream_repo),
                     ("Upstream-Commit", provenance.upstream_commit)]
    elif config_digest:
        trailers.append(("Release-Config-Digest", config_digest))
    trailers += list(origin.trailers()) if origin is not None else []
    trailers += [(TAG_TRAILER, record) for record in commit.release_tags]
    trailers.append((APPLY_ID_TRAILER, apply_id))
    lines = [f"{key}: {value}" for key, value in trailers if value]
    body = (f"Made by `release apply` from the declared config, on {commit.branch}.\n\n"
            + "\n".join(lines))
    return title, body


#: Metadata changes named in a card commit's title; the rest are counted.
_NAMED = 2


def card_summary(card: UpdateCard) -> str:
    """`license apache-2.0 -> mit, +tags, body`: the reader-visible parts of a card change."""
    if card.old_oid is None:
        return "new"
    if not card.compared:
        return "updated"
    shown, provenance = split_provenance(card.metadata_changes())
    words = [_metadata_word(m) for m in shown[:_NAMED]]
    if len(shown) > _NAMED:
        words.append(f"{len(shown) - _NAMED} more key(s)")
    if card.body_diff():
        words.append("body")
    if not words and provenance:
        words.append("provenance")
    return ", ".join(words) or "updated"


def _metadata_word(change: MetadataChange) -> str:
    if change.action == "add":
        return f"+{change.key}"
    if change.action == "remove":
        return f"-{change.key}"
    return f"{change.key} {value(change.old, 24)} -> {value(change.new, 24)}"


def files_summary(files: CommitFiles) -> str:
    """`+3 ~1 -2 (14.2 GB)`: adds, updates, deletes, and the bytes added or replaced."""
    counts = [f"{sign}{len(files.of(kind))}" for kind, sign in
              (("add", "+"), ("update", "~"), ("delete", "-")) if files.of(kind)]
    uploaded = sum(o.size or 0 for o in files.operations if o.op != "delete")
    return " ".join(counts) + (f" ({size(uploaded)})" if uploaded else "")


def mismatches(files: Mapping[str, ObservedFile], commit: ContentCommit) -> list[str]:
    """Paths where `files` (a branch on the Hub) differs from what `commit` leaves there."""
    wrong: list[str] = []
    if commit.card is not None:
        have = files.get(README)
        if have is None or have.oid != git_blob_sha1(commit.card.new_text.encode()):
            wrong.append(README)
    for op in commit.files.operations if commit.files is not None else ():
        have = files.get(op.path)
        if op.op == "delete":
            if have is not None:
                wrong.append(op.path)
        elif have is None or not _same(have, op):
            wrong.append(op.path)
    return wrong


def _same(have: ObservedFile, op: FileOperation) -> bool:
    if have.lfs_sha256 is not None:
        return have.lfs_sha256 == op.sha256
    if op.git_sha1 is not None:
        return have.oid == op.git_sha1
    data = op.data()
    return data is not None and have.oid == git_blob_sha1(data)
