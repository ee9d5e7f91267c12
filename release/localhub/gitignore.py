"""`.gitignore` matching for preupload's `shouldIgnore`: the Hub tells the client which files of
an upload its `.gitignore` excludes (the one sent as `gitIgnore`, else the repo's), and the
client leaves them out of the commit (huggingface_hub's test_upload_folder_gitignore_*)."""

from __future__ import annotations

import re
from functools import lru_cache

from release.localhub.gitattributes import glob_to_regex


class IgnoreRules:
    """git's rules: the last matching line wins, `!` re-includes, a trailing `/` matches only
    directories, a `/` elsewhere anchors to the root, and a file under an ignored directory is
    ignored whatever later lines say about the file."""

    def __init__(self, text: str) -> None:
        self._rules: list[tuple[re.Pattern[str], bool, bool, bool]] = []
        for raw in text.splitlines():
            line = raw.rstrip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            pattern = line[1:] if negate else line
            dir_only = pattern.endswith("/")
            pattern = pattern.rstrip("/")
            anchored = "/" in pattern
            regex = re.compile(glob_to_regex(pattern.lstrip("/")) + r"\Z")
            self._rules.append((regex, anchored, dir_only, negate))

    def _verdict(self, path: str, is_dir: bool) -> bool:
        ignored = False
        name = path.rsplit("/", 1)[-1]
        for regex, anchored, dir_only, negate in self._rules:
            if dir_only and not is_dir:
                continue
            if regex.match(path if anchored else name):
                ignored = not negate
        return ignored

    def ignores(self, path: str) -> bool:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            if self._verdict("/".join(parts[:depth]), is_dir=True):
                return True
        return self._verdict(path, is_dir=False)


@lru_cache(maxsize=64)
def ignore_rules(text: str) -> IgnoreRules:
    return IgnoreRules(text)
