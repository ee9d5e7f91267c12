"""Validation of repo names, git ref names and file paths, with the Hub's rules and messages."""

from __future__ import annotations

import re

from huggingface_hub.utils import HFValidationError, validate_repo_id

from release.localhub.errors import bad_request

REPO_TYPES = {"models": "model", "datasets": "dataset"}
# The Hub caps a repo name (the part after the namespace) at 96 characters.
MAX_REPO_NAME = 96
_HEX40 = re.compile(r"^[0-9a-f]{40}$")
_BAD_REF_CHARS = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")


def check_repo_id(namespace: str, name: str) -> str:
    """Return `namespace/name` or raise a 400 the way the Hub refuses a bad repo id."""
    repo_id = f"{namespace}/{name}"
    try:
        validate_repo_id(repo_id)
    except HFValidationError as err:
        raise bad_request(f"Invalid repo name {repo_id!r}: {err}") from None
    if len(name) > MAX_REPO_NAME or len(namespace) > MAX_REPO_NAME:
        raise bad_request(f"Invalid repo name {repo_id!r}: longer than {MAX_REPO_NAME} characters")
    return repo_id


def check_ref_name(name: str, kind: str) -> str:
    """Apply git check-ref-format rules plus the Hub's: no sha-looking names, no `refs/` prefix."""
    problems = (
        not name
        or name.startswith(("/", "refs/", "-"))
        or name.endswith(("/", ".", ".lock"))
        or "//" in name
        or ".." in name
        or "@{" in name
        or name == "@"
        or _BAD_REF_CHARS.search(name) is not None
        or any(part.startswith(".") or part.endswith(".lock") for part in name.split("/"))
        or _HEX40.match(name) is not None
        or len(name) > 255
    )
    if problems:
        raise bad_request(f"Invalid {kind} name: {name!r}")
    return name


def check_path(path: str) -> str:
    """Refuse paths git or the Hub cannot store: absolute, `..`, empty parts, inside `.git/`."""
    parts = path.split("/")
    # `..` is refused between backslashes too: the client only splits on "/", and a clone on
    # Windows resolves `a\..\..\x` outside the repo (huggingface_hub's _validate_path_in_repo
    # refuses `..` segments for the same reason).
    if (
        not path
        or path.startswith("/")
        or "\x00" in path
        or any(part in ("", ".", "..") for part in parts)
        or any(part == ".." for part in path.replace("\\", "/").split("/"))
        or parts[0] == ".git"
        or len(path.encode()) > 4096
    ):
        raise bad_request(f"Invalid path: {path!r}")
    return path


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:([kmgt])(i)?)?b?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """Bytes from `5000000`, `500MB`, `100GB`, `1TB` (decimal units, as the Hub's quotas;
    `GiB` and friends are binary)."""
    found = _SIZE.match(text)
    if not found:
        raise ValueError(f"not a size: {text!r} (expected e.g. 100GB, 1TB or a number of bytes)")
    number, prefix, binary = found.groups()
    power = " kmgt".index(prefix.lower()) if prefix else 0
    return int(float(number) * (1024 if binary else 1000) ** power)
