"""Card metadata the Hub rejects, checked offline at `validate` as the Hub checks it on commit.

The Hub validates a README's front matter on every commit (400 `Invalid metadata in
README.md`, hub-api.md section 9), so a bad value would fail mid-apply, after the repo was
created. huggingface_hub carries none of these lists (its `ModelCardData` only documents them),
so they are copied from the Hub's own sources, cited below. A value missing from a list here
but accepted by the Hub would be a wrong refusal, so the lists err on the side of including.
"""

from __future__ import annotations

import re

#: hub-docs `docs/hub/repositories-licenses.md` (the "License identifier" column), plus the ids
#: added on the Hub since that copy (llama3*, eupl-1.2, apple-*, ...).
LICENSES = frozenset({
    "apache-2.0", "mit", "openrail", "bigscience-openrail-m", "creativeml-openrail-m",
    "bigscience-bloom-rail-1.0", "bigcode-openrail-m", "afl-3.0", "artistic-2.0", "bsl-1.0",
    "bsd", "bsd-2-clause", "bsd-3-clause", "bsd-3-clause-clear", "c-uda", "cc", "cc0-1.0",
    "cc-by-2.0", "cc-by-2.5", "cc-by-3.0", "cc-by-4.0", "cc-by-sa-3.0", "cc-by-sa-4.0",
    "cc-by-nc-2.0", "cc-by-nc-3.0", "cc-by-nc-4.0", "cc-by-nd-4.0", "cc-by-nc-nd-3.0",
    "cc-by-nc-nd-4.0", "cc-by-nc-sa-2.0", "cc-by-nc-sa-3.0", "cc-by-nc-sa-4.0",
    "cdla-sharing-1.0", "cdla-permissive-1.0", "cdla-permissive-2.0", "wtfpl", "ecl-2.0",
    "epl-1.0", "epl-2.0", "etalab-2.0", "eupl-1.1", "eupl-1.2", "agpl-3.0", "gfdl", "gpl",
    "gpl-2.0", "gpl-3.0", "lgpl", "lgpl-2.1", "lgpl-3.0", "isc", "h-research",
    "intel-research", "lppl-1.3c", "ms-pl", "apple-ascl", "apple-amlr", "mpl-2.0", "odc-by",
    "odbl", "openmdw-1.0", "openrail++", "osl-3.0", "postgresql", "ofl-1.1", "ncsa",
    "unlicense", "zlib", "pddl", "lgpl-lr", "deepfloyd-if-license",
    "fair-noncommercial-research-license", "llama2", "llama3", "llama3.1", "llama3.2",
    "llama3.3", "llama4", "gemma", "unknown", "other",
})

#: huggingface.js `packages/tasks/src/pipelines.ts` (`PIPELINE_DATA` keys: the Hub's tasks),
#: plus the tasks huggingface_hub 2.4.0's inference types name (image-text-to-image, ...).
PIPELINE_TAGS = frozenset({
    "biology", "text-classification", "token-classification", "table-question-answering",
    "question-answering", "zero-shot-classification", "translation", "summarization",
    "feature-extraction", "text-generation", "text2text-generation", "fill-mask",
    "sentence-similarity", "text-to-speech", "text-to-audio", "automatic-speech-recognition",
    "audio-to-audio", "audio-classification", "audio-text-to-text", "voice-activity-detection",
    "depth-estimation", "image-classification", "object-detection", "image-segmentation",
    "text-to-image", "image-to-text", "image-to-image", "image-to-video",
    "unconditional-image-generation", "video-classification", "reinforcement-learning",
    "robotics", "tabular-classification", "tabular-regression", "tabular-to-text",
    "table-to-text", "multiple-choice", "text-ranking", "text-retrieval",
    "time-series-forecasting", "text-to-video", "image-text-to-text",
    "visual-question-answering", "document-question-answering",
    "zero-shot-image-classification", "graph-ml", "mask-generation",
    "zero-shot-object-detection", "text-to-3d", "image-to-3d", "image-feature-extraction",
    "video-text-to-text", "keypoint-detection", "visual-document-retrieval", "any-to-any",
    "image-text-to-image", "image-text-to-video", "video-to-video", "other",
})

#: huggingface_hub `ModelCardData.language`: "an ISO 639-1, 639-2 or 639-3 code" (2 or 3
#: letters), optionally with a BCP 47 region/script subtag (`en-US`, `zh-Hant`); the Hub also
#: takes `multilingual`. A shape check: it refuses `english`, not every unassigned code.
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*\Z")


def license_problem(license_id: str) -> str | None:
    if license_id in LICENSES:
        return None
    return (f"'{license_id}' is not a Hub license id (see https://huggingface.co/docs/hub/"
            "repositories-licenses); for another license use license: other with "
            "license_name and license_link")


def language_problem(code: str) -> str | None:
    if code == "multilingual" or _LANGUAGE.match(code):
        return None
    return (f"'{code}' is not an ISO 639 language code (2 or 3 letters, e.g. 'en', 'fr', "
            "'yue'), which the Hub requires")


def pipeline_tag_problem(tag: str) -> str | None:
    if tag in PIPELINE_TAGS:
        return None
    return f"'{tag}' is not one of the Hub's tasks (e.g. 'text-generation')"
