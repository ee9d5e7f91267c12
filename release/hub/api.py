"""The seams to huggingface_hub, typed: the Hub API surface release uses, and the request meter.

`HubApi` lists exactly the `HfApi` methods the reader, the writer and the workflow call, with
the parameters they pass. mypy checks `HfApi` against it where a session is made
(`release.hub.client.connect`), so a fake or a new client version that differs fails there, not
mid-apply; and a new call through the seam has to be added here, where its cost can be seen.
Imports of huggingface_hub are for the type checker only: start-up stays lazy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from concurrent.futures import Future

    from huggingface_hub import (
        Collection,
        CommitInfo,
        CommitOperation,
        GitCommitInfo,
        GitRefs,
        ModelInfo,
        RepoUrl,
    )
    from huggingface_hub.hf_api import (
        DatasetInfo,
        ExpandDatasetProperty_T,
        ExpandModelProperty_T,
        ExpandSpaceProperty_T,
        KernelInfo,
        RepoFile,
        RepoFolder,
        SpaceInfo,
    )

    from release.hub.client import Tally, ThreadCounters


class HubApi(Protocol):
    """The `HfApi` methods release calls (reads, then writes)."""

    @property
    def endpoint(self) -> str: ...

    @property
    def token(self) -> str | bool | None: ...

    def whoami(self, token: bool | str | None = None, *,
               cache: bool = False) -> Mapping[str, object]: ...

    def list_models(self, *, author: str | None = None,
                    expand: list[ExpandModelProperty_T] | None = None) -> Iterable[ModelInfo]: ...

    # huggingface_hub annotates `expand` of repo_info as one property; it sends a list as well.
    def repo_info(self, repo_id: str, *, repo_type: str | None = None,
                  expand: ExpandModelProperty_T | ExpandDatasetProperty_T
                  | ExpandSpaceProperty_T | None = None,
                  ) -> ModelInfo | DatasetInfo | SpaceInfo | KernelInfo: ...

    def list_repo_refs(self, repo_id: str, *, repo_type: str | None = None) -> GitRefs: ...

    def list_repo_tree(self, repo_id: str, path_in_repo: str | None = None, *,
                       recursive: bool = False, revision: str | None = None,
                       ) -> Iterable[RepoFile | RepoFolder]: ...

    def list_repo_commits(self, repo_id: str, *, repo_type: str | None = None,
                          revision: str | None = None) -> list[GitCommitInfo]: ...

    def list_collections(self, *, owner: list[str] | str | None = None,
                         ) -> Iterable[Collection]: ...

    def get_collection(self, collection_slug: str) -> Collection: ...

    # What create_commit calls before uploading a README.md; apply calls it first for every card
    # it will write (ValueError "Invalid metadata in README.md" when the Hub refuses).
    def _validate_yaml(self, content: str, *, repo_type: str | None = None,
                       token: bool | str | None = None) -> None: ...

    def create_repo(self, repo_id: str, *, private: bool | None = None,
                    repo_type: str | None = None) -> RepoUrl: ...

    def move_repo(self, from_id: str, to_id: str, *, repo_type: str | None = None) -> None: ...

    def delete_repo(self, repo_id: str, *, repo_type: str | None = None,
                    missing_ok: bool = False) -> None: ...

    def update_repo_settings(self, repo_id: str, *,
                             gated: Literal["auto", "manual", False] | None = None,
                             private: bool | None = None,
                             repo_type: str | None = None) -> None: ...

    def create_branch(self, repo_id: str, *, branch: str, revision: str | None = None,
                      repo_type: str | None = None) -> None: ...

    def delete_branch(self, repo_id: str, *, branch: str,
                      repo_type: str | None = None) -> None: ...

    def create_tag(self, repo_id: str, *, tag: str, tag_message: str | None = None,
                   revision: str | None = None, repo_type: str | None = None) -> None: ...

    def delete_tag(self, repo_id: str, *, tag: str, repo_type: str | None = None) -> None: ...

    def create_commit(self, repo_id: str, operations: Iterable[CommitOperation], *,
                      commit_message: str, commit_description: str | None = None,
                      repo_type: str | None = None, revision: str | None = None,
                      parent_commit: str | None = None,
                      ) -> CommitInfo | Future[CommitInfo]: ...

    def create_collection(self, title: str, *, namespace: str | None = None,
                          description: str | None = None, private: bool = False,
                          exists_ok: bool = False) -> Collection: ...

    def delete_collection(self, collection_slug: str, *, missing_ok: bool = False) -> None: ...

    def update_collection_metadata(self, collection_slug: str, *,
                                   description: str | None = None,
                                   private: bool | None = None) -> Collection: ...

    def add_collection_item(self, collection_slug: str, item_id: str,
                            item_type: Literal["model", "dataset", "space", "paper",
                                               "collection", "bucket"], *,
                            note: str | None = None, exists_ok: bool = False) -> Collection: ...

    def update_collection_item(self, collection_slug: str, item_object_id: str, *,
                               note: str | None = None, position: int | None = None) -> None: ...

    def delete_collection_item(self, collection_slug: str, item_object_id: str, *,
                               missing_ok: bool = False) -> None: ...


class Meter(Protocol):
    """What apply and the workflow read from the request meter (`RequestMeter`)."""

    @property
    def total(self) -> int: ...

    def snapshot(self) -> Mapping[str, int]: ...

    def thread_counters(self) -> ThreadCounters: ...

    def charging(self, tally: Tally | None, *, linger: bool = False
                 ) -> AbstractContextManager[None]: ...


class Session(Protocol):
    """An authenticated client and where it points (`release.hub.client.HubSession`)."""

    @property
    def api(self) -> HubApi: ...

    @property
    def endpoint(self) -> str: ...

    @property
    def meter(self) -> Meter: ...

    @property
    def cache_dir(self) -> Path: ...

    @property
    def token_source(self) -> str: ...

    @property
    def hub_id(self) -> str: ...
