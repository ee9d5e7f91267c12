"""`.gitattributes`: the Hub's default for new repos, and the `filter=lfs` matcher for preupload."""

from __future__ import annotations

import re
from functools import lru_cache

_LFS = "filter=lfs diff=lfs merge=lfs -text"
_SPACE_CLASS = "[[:space:]]"
_COMMON = [
    "*.7z",
    "*.arrow",
    "*.bin",
    "*.bz2",
    "*.ckpt",
    "*.ftz",
    "*.gz",
    "*.h5",
    "*.joblib",
    "*.lfs.*",
    "*.mlmodel",
    "*.model",
    "*.msgpack",
    "*.npy",
    "*.npz",
    "*.onnx",
    "*.ot",
    "*.parquet",
    "*.pb",
    "*.pickle",
    "*.pkl",
    "*.pt",
    "*.pth",
    "*.rar",
    "*.safetensors",
    "saved_model/**/*",
    "*.tar.*",
    "*.tar",
    "*.tflite",
    "*.tgz",
    "*.wasm",
    "*.xz",
    "*.zip",
    "*.zst",
    "*tfevents*",
]
# Datasets on the Hub additionally track media files.
_DATASET_EXTRA = [
    "*.mds",
    "*.lz4",
    "*.pcm",
    "*.sam",
    "*.raw",
    "*.aac",
    "*.flac",
    "*.mp3",
    "*.ogg",
    "*.wav",
    "*.bmp",
    "*.gif",
    "*.png",
    "*.tiff",
    "*.jpg",
    "*.jpeg",
    "*.webp",
]


def default_gitattributes(repo_type: str) -> bytes:
    """The `.gitattributes` the Hub writes in the initial commit of a new repo."""
    patterns = _COMMON + (_DATASET_EXTRA if repo_type == "dataset" else [])
    return "".join(f"{pattern} {_LFS}\n" for pattern in patterns).encode()


def glob_to_regex(pattern: str) -> str:
    """A git wildmatch pattern (as in .gitattributes and .gitignore) as a regex body."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith(_SPACE_CLASS, i):  # how `git lfs track` writes a space
            out.append(r"\s")
            i += len(_SPACE_CLASS)
        elif pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif char == "*":
            out.append("[^/]*")
            i += 1
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[" and "]" in pattern[i + 1 :]:
            end = pattern.index("]", i + 1)
            body = pattern[i + 1 : end].replace("\\", "\\\\")
            out.append("[^" + body[1:] + "]" if body.startswith("!") else "[" + body + "]")
            i = end + 1
        else:
            out.append(re.escape(char))
            i += 1
    return "".join(out)


class LfsRules:
    """Which paths `.gitattributes` routes through LFS; the last matching line wins, as in git."""

    def __init__(self, rules: list[tuple[re.Pattern[str], bool, bool]]) -> None:
        self._rules = rules  # (regex, matches basename only, is lfs)

    @classmethod
    def parse(cls, text: str) -> LfsRules:
        rules: list[tuple[re.Pattern[str], bool, bool]] = []
        for line in text.splitlines():
            fields = line.strip().split()
            if not fields or fields[0].startswith("#"):
                continue
            pattern, attrs = fields[0], fields[1:]
            if "filter=lfs" in attrs:
                is_lfs = True
            elif any(a in ("-filter", "!filter") or a.startswith("filter=") for a in attrs):
                is_lfs = False
            else:
                continue
            basename_only = "/" not in pattern.rstrip("/")
            regex = re.compile(glob_to_regex(pattern.lstrip("/")) + r"\Z")
            rules.append((regex, basename_only, is_lfs))
        return cls(rules)

    def is_lfs(self, path: str) -> bool:
        basename = path.rsplit("/", 1)[-1]
        verdict = False
        for regex, basename_only, is_lfs in self._rules:
            if regex.match(basename if basename_only else path):
                verdict = is_lfs
        return verdict


def track_lfs_paths(text: str, paths: list[str]) -> str | None:
    """`.gitattributes` with a line for each LFS path its rules do not route through LFS, or
    None when all are covered. The Hub does this in the commit that adds such a file (commits on
    huggingface.co show e.g. `+data_small.txt filter=lfs diff=lfs merge=lfs -text` next to the
    file), so the repo's rules keep matching what it stores."""
    rules = rules_for(text)
    missing = [path for path in dict.fromkeys(paths) if not rules.is_lfs(path)]
    if not missing:
        return None
    if text and not text.endswith("\n"):
        text += "\n"
    return text + "".join(f"{p.replace(' ', _SPACE_CLASS)} {_LFS}\n" for p in missing)


@lru_cache(maxsize=256)
def rules_for(text: str) -> LfsRules:
    """Parsed rules, cached by content: a branch's `.gitattributes` rarely changes."""
    return LfsRules.parse(text)
