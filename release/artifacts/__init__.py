"""Local checkpoint folders: listing, hashing as the Hub does, a hash cache, a structure check.

`scan_folder` turns a folder into `DesiredFile`s (sha256 always, git blob sha1 where the Hub may
store the file as a regular one); `HashCache` makes re-scanning an unchanged folder cost only
`stat` calls; `check_structure` says what a transformers checkpoint is missing.

The names are loaded from their modules when first asked for (PEP 562): `release validate`
reads only the lock (`release.artifacts.lock`) and should not import the scanner, the hasher
and their thread pool to do so.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from release.artifacts.cache import DEFAULT_CACHE_PATH, CacheStats, FileStamp, HashCache
    from release.artifacts.hashing import (
        DEFAULT_LFS_PATTERNS,
        LFS_SIZE_THRESHOLD,
        FileHashes,
        LfsRules,
        hash_file,
        lfs_certain,
        predict_lfs,
    )
    from release.artifacts.scan import ALWAYS_IGNORED_DIRS, ArtifactError, scan_folder
    from release.artifacts.structure import DEFAULT_REQUIRED, check_structure

_MODULES = {
    "cache": ("DEFAULT_CACHE_PATH", "CacheStats", "FileStamp", "HashCache"),
    "hashing": ("DEFAULT_LFS_PATTERNS", "LFS_SIZE_THRESHOLD", "FileHashes", "LfsRules",
                "hash_file", "lfs_certain", "predict_lfs"),
    "scan": ("ALWAYS_IGNORED_DIRS", "ArtifactError", "scan_folder"),
    "structure": ("DEFAULT_REQUIRED", "check_structure"),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "ALWAYS_IGNORED_DIRS", "DEFAULT_CACHE_PATH", "DEFAULT_LFS_PATTERNS", "DEFAULT_REQUIRED",
    "LFS_SIZE_THRESHOLD", "ArtifactError", "CacheStats", "FileHashes", "FileStamp", "HashCache",
    "LfsRules", "check_structure", "hash_file", "lfs_certain", "predict_lfs", "scan_folder",
]


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
