"""The baseline: the imperative huggingface_hub script a lab writes today, sequential as such
scripts are, with the unmodified `HfApi`.

    python -m bench.baseline apply  --endpoint URL --manifest FILE
    python -m bench.baseline status --endpoint URL --manifest FILE [--threads 8]

`apply`, for each variant: `create_repo(exist_ok=True)` (private first), `upload_folder` (the
same README.md and config.json that `release` publishes), `create_branch(exist_ok=True)` for its
run branch, `create_tag(exist_ok=True)` where the config declares a release tag,
`update_repo_settings` (visibility, gating) and `add_collection_item(exists_ok=True)` after one
`create_collection(exists_ok=True)` per family -- so both tools publish the same end state.
`status`, read-only, for each variant: `model_info`, `list_repo_refs` and a README download
(`hf_hub_download`, into a fresh cache).

The manifest (`python -m bench.baseline manifest --project P --n N --manifest FILE`) lists the
variants, their upload folders and the collections. The token comes from HF_TOKEN (the local
hub's default token in open mode); it is never printed. Prints one JSON line: what was done.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ["HF_HUB_DISABLE_XET"] = "1"  # the local hub speaks LFS, not xet (hub-api.md 4.4)
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.pop("HF_HUB_OFFLINE", None)


def apply(api: Any, manifest: dict[str, Any]) -> dict[str, int]:
    slugs = {}
    for collection in manifest["collections"]:
        created = api.create_collection(collection["title"], namespace=collection["namespace"],
                                        description=collection["description"],
                                        private=collection["private"], exists_ok=True)
        slugs[(collection["namespace"], collection["title"])] = created.slug
    done = {"repos": 0, "branches": 0, "tags": 0, "collection_items": 0}
    for variant in manifest["variants"]:
        repo_id = variant["repo_id"]
        api.create_repo(repo_id, private=True, exist_ok=True)
        api.upload_folder(repo_id=repo_id, folder_path=variant["folder"],
                          commit_message=f"Upload {repo_id}")
        api.create_branch(repo_id, branch=variant["branch"], exist_ok=True)
        done["branches"] += 1
        if variant["tag"]:
            api.create_tag(repo_id, tag=variant["tag"], exist_ok=True)
            done["tags"] += 1
        api.update_repo_settings(repo_id, private=not variant["public"], gated=variant["gated"])
        slug = slugs.get((variant["namespace"], variant["collection"]))
        if slug is not None:
            api.add_collection_item(slug, repo_id, "model", exists_ok=True)
            done["collection_items"] += 1
        done["repos"] += 1
    return done


def status(api: Any, manifest: dict[str, Any], cache_dir: Path,
           threads: int = 1) -> dict[str, int]:
    """Per repo `model_info`, `list_repo_refs` and a README download; with `threads` > 1 the
    repos are checked on a thread pool (the fair peer of `release plan`, which reads in
    parallel too)."""
    from concurrent.futures import ThreadPoolExecutor

    from huggingface_hub import hf_hub_download

    def check(variant: dict[str, Any]) -> tuple[bool, int, int, int]:
        repo_id = variant["repo_id"]
        info = api.model_info(repo_id)
        refs = api.list_repo_refs(repo_id)
        readme = hf_hub_download(repo_id, "README.md", endpoint=api.endpoint, token=api.token,
                                 cache_dir=cache_dir)
        return (not info.private, len(refs.branches), len(refs.tags),
                Path(readme).stat().st_size)

    seen = {"repos": 0, "public": 0, "branches": 0, "tags": 0, "readme_bytes": 0,
            "threads": threads}
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        for public, branches, tags, readme_bytes in pool.map(check, manifest["variants"]):
            seen["repos"] += 1
            seen["public"] += public
            seen["branches"] += branches
            seen["tags"] += tags
            seen["readme_bytes"] += readme_bytes
    return seen


def write_manifest(n: int, project: Path, manifest: Path) -> None:
    """The script's input: the same README.md + config.json per repo as `release` publishes.

    The cards come from `release`'s own expansion of the generated config (the lab's script
    would have its own card template; the bytes must match for a fair, same-end-state run).
    """
    from bench import workload
    from release.workflow import Project, load_desired

    state = load_desired(Project(project / "conf"), []).state
    cards = {repo.repo_id: repo.card_text for repo in state.repos}
    titles = {(c.namespace, item.repo_id): c.title for c in state.collections for item in c.items}
    upload = manifest.parent / "baseline-upload"
    variants = []
    for variant in workload.variants(n):
        folder = upload / variant.repo_id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "README.md").write_text(cards[variant.repo_id], encoding="utf-8")
        (folder / "config.json").write_bytes(variant.config_json)
        variants.append({"repo_id": variant.repo_id, "namespace": variant.namespace,
                         "public": variant.public, "gated": variant.gated, "tag": variant.tag,
                         "branch": variant.branch, "folder": str(folder),
                         "collection": titles.get((variant.namespace, variant.repo_id))})
    collections = [{"namespace": c.namespace, "title": c.title, "description": c.description,
                    "private": c.private} for c in state.collections]
    manifest.write_text(json.dumps({"variants": variants, "collections": collections}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline")
    parser.add_argument("mode", choices=["apply", "status", "manifest"])
    parser.add_argument("--endpoint")
    parser.add_argument("--manifest", required=True, type=Path)
    parser.add_argument("--project", type=Path, help="'manifest': the generated project")
    parser.add_argument("--n", type=int, help="'manifest': the number of repos")
    parser.add_argument("--cache-dir", type=Path, default=None,
                        help="hf_hub_download cache for 'status' (default: next to the manifest)")
    parser.add_argument("--threads", type=int, default=1,
                        help="'status': check the repos on this many threads (default 1)")
    args = parser.parse_args(argv)
    if args.mode == "manifest":
        write_manifest(args.n, args.project, args.manifest)
        return 0
    from huggingface_hub import HfApi

    manifest = json.loads(args.manifest.read_text())
    api = HfApi(endpoint=args.endpoint, token=os.environ.get("HF_TOKEN"))
    if args.mode == "apply":
        result = apply(api, manifest)
    else:
        result = status(api, manifest, args.cache_dir or args.manifest.parent / "hf-cache",
                        threads=args.threads)
    print(json.dumps({"mode": args.mode, **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
