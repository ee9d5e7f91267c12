"""The pure half of `release import`: matrix inference from repo names and the families line."""

from __future__ import annotations

from release.importer import Selection, default_family_name, enable_families, infer_matrix


def test_names_whose_parts_combine_into_every_repo_make_a_matrix() -> None:
    names = ["Tulu-3-70B-DPO", "Tulu-3-8B-SFT", "Tulu-3-8B-DPO", "Tulu-3-70B-SFT"]
    template, matrix, keys = infer_matrix(names) or ("", {}, [])
    assert template == "Tulu-3-{size}-{stage}"
    assert matrix == {"size": ["8B", "70B"], "stage": ["DPO", "SFT"]}  # natural order
    assert keys == ["70B-DPO", "8B-SFT", "8B-DPO", "70B-SFT"]


def test_one_varying_part_is_a_one_axis_matrix() -> None:
    assert infer_matrix(["OLMo-2-7B", "OLMo-2-13B", "OLMo-2-1B"]) == (
        "OLMo-2-{size}", {"size": ["1B", "7B", "13B"]}, ["7B", "13B", "1B"])
    assert infer_matrix(["m-a", "m-b"]) == ("m-{part}", {"part": ["a", "b"]}, ["a", "b"])


def test_names_that_do_not_fill_a_product_make_no_matrix() -> None:
    assert infer_matrix(["T-8B-SFT", "T-70B-SFT", "T-8B-DPO"]) is None  # 70B-DPO missing
    assert infer_matrix(["a-1", "a-2", "b"]) is None  # different shapes
    assert infer_matrix(["only-one"]) is None
    assert infer_matrix(["x-1-a", "x-2-b"]) is None  # two parts varying together


def test_default_family_name_and_the_families_line() -> None:
    assert default_family_name(Selection("allenai")) == "allenai"
    assert default_family_name(Selection("allenai", match="Tulu-3-*")) == "tulu-3"
    text = "defaults:\n  - hub: local\n  - families: [tulu3]   # mine\n  - _self_\n"
    assert enable_families(text, ["acme", "tulu3"]) == (
        "defaults:\n  - hub: local\n  - families: [tulu3, acme]   # mine\n  - _self_\n")
    assert enable_families("defaults:\n  - families:\n    - a\n", ["b"]) is None
