"""A throw-away project (conf/ + templates/) per test, with the working directory inside it.

Error locations are shown relative to the working directory, so the pinned texts read
`conf/families/demo.yaml:5:3: ...` exactly as a user running `release validate` would see them.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

DEMO_FAMILY = """\
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
  variants:
    "7B-*": {gated: manual}
    "1B-Instruct":
      visibility: public
      release: {tag: v1.0}
  runs:
    branch: "{stage_lower}_{size_lower}_{date}_seed{seed}"
    variants:
      "1B-Instruct":
        - {date: "2024-01-15", seed: 42}
"""


class Project:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.conf = root / "conf"

    def family(self, name: str, text: str) -> Path:
        path = self.conf / "families" / f"{name}.yaml"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def config(self, text: str) -> None:
        (self.conf / "config.yaml").write_text(textwrap.dedent(text), encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    (tmp_path / "conf" / "families").mkdir(parents=True)
    shutil.copytree(REPO / "conf" / "hub", tmp_path / "conf" / "hub")
    shutil.copytree(REPO / "templates", tmp_path / "templates")
    proj = Project(tmp_path)
    proj.config("defaults:\n  - hub: local\n  - families: [demo]\n  - _self_\n")
    proj.family("demo", DEMO_FAMILY)
    monkeypatch.chdir(tmp_path)
    return proj


@pytest.fixture
def errors_of(project: Project) -> Callable[..., list[str]]:
    """The rendered errors of validating the project with `overrides` ([] when valid)."""
    from release.config.load import load_config
    from release.desired import expand
    from release.errors import ConfigError, ConfigErrors

    def run(*overrides: str) -> list[str]:
        try:
            config = load_config(Path("conf"), list(overrides))
            expand(config, base_dir=Path("."))
        except ConfigErrors as errs:
            return [e.render() for e in errs.errors]
        except ConfigError as err:
            return [err.render()]
        return []

    return run
