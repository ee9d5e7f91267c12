"""Helpers of the error tests (fixtures are in conftest.py): a small project a newcomer would
write, and the contract every error meets.

Every error test asserts the same contract (`Failure.check`): exit 1, the message, no
traceback, no token anywhere in the output, and no write request on the hub.
"""

from __future__ import annotations

import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

from release.localhub import LocalHub

REPO = Path(__file__).resolve().parents[2]

FAMILY = """\
demo:
  namespace: acme
  repo_name: "Demo-{size}-{stage}"
  matrix:
    size: [1B, 7B]
    stage: [Base, Instruct]
  defaults:
    visibility: private
    card:
      metadata: {license: apache-2.0}
  collection:
    title: Demo models
"""

#: A token of huggingface.co's shape (hf_ + 34 letters/digits); not a real one.
HF_LIKE_TOKEN = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz01234567"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def check(self, *expected: str, hub: LocalHub | None = None,
              secrets: tuple[str, ...] = (HF_LIKE_TOKEN,)) -> None:
        """Exit 1, every `expected` text in stderr, no traceback, no secret, no Hub write."""
        text = self.out + self.err
        assert self.code == 1, (self.code, text)
        for part in expected:
            assert part in self.err, f"{part!r} not in:\n{self.err}"
        assert "Traceback" not in text and 'File "' not in text, text
        for secret in secrets:
            assert secret not in text
        if hub is not None:
            assert hub.stats()["writes"] == 0


class Newcomer:
    """conf/ (local hub by default, the demo family) and templates/ in a temporary folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.conf = root / "conf"
        (self.conf / "families").mkdir(parents=True)
        shutil.copytree(REPO / "conf" / "hub", self.conf / "hub")
        shutil.copytree(REPO / "templates", root / "templates")
        self.write("conf/config.yaml",
                   "defaults:\n  - hub: local\n  - families: [demo]\n  - _self_\n")
        self.write("conf/families/demo.yaml", FAMILY)

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path


