"""Each class of bad input yields an error naming location, key path and closest valid key."""

from __future__ import annotations

from collections.abc import Callable

from tests.config.conftest import DEMO_FAMILY, Project

Errors = Callable[..., list[str]]


def test_the_demo_project_is_valid(errors_of: Errors) -> None:
    assert errors_of() == []


def test_unknown_key_in_a_file_names_line_column_and_the_closest_key(
        project: Project, errors_of: Errors) -> None:
    project.family("demo", DEMO_FAMILY.replace("visibility: public", "visibilty: public"))
    assert errors_of() == [
        "conf/families/demo.yaml:14:7: families.demo.variants.1B-Instruct.visibilty: "
        "unknown key in Variant (did you mean 'visibility'?)"]


def test_unknown_key_smuggled_in_as_a_plus_override(errors_of: Errors) -> None:
    assert errors_of("+families.demo.defaults.gatd=auto") == [
        "override '+families.demo.defaults.gatd=auto': families.demo.defaults.gatd: "
        "unknown key in Variant (did you mean 'gated'?)"]


def test_unknown_top_level_key_override(errors_of: Errors) -> None:
    assert errors_of("prun=true") == [
        "override 'prun=true': prun: unknown key in Release (did you mean 'prune'?)"]


def test_wrong_types(project: Project, errors_of: Errors) -> None:
    project.family("demo", DEMO_FAMILY.replace("size: [1B, 7B]", "size: 1B")
                   .replace("visibility: private", "visibility: publik"))
    assert errors_of("prune=maybe") == [
        "conf/families/demo.yaml:5:11: families.demo.matrix.size: expected a list, "
        "got string '1B'",
        "conf/families/demo.yaml:8:17: families.demo.defaults.visibility: expected one of "
        "'private', 'public', got string 'publik' (did you mean 'public'?)",
        "override 'prune=maybe': prune: expected a boolean (true/false), got string 'maybe'",
    ]


def test_gating_accepts_only_false_auto_manual(errors_of: Errors) -> None:
    assert errors_of("families.demo.variants.7B-*.gated=yes") == [
        "override 'families.demo.variants.7B-*.gated=yes': families.demo.variants.7B-*.gated: "
        "expected one of false, 'auto', 'manual', got string 'yes'"]


def test_missing_required_values(project: Project, errors_of: Errors) -> None:
    project.family("demo", DEMO_FAMILY.replace("  namespace: acme\n", "")
                   .replace('"Demo-{size}-{stage}"', "???"))
    assert errors_of() == [
        "conf/families/demo.yaml:2:14: families.demo.repo_name: missing required value",
        "conf/families/demo.yaml:2:3: families.demo.namespace: missing required value",
    ]


def test_unknown_config_group_option_in_an_override(errors_of: Errors) -> None:
    assert errors_of("hub=huggingfase") == [
        "override 'hub=huggingfase': hub: unknown option 'huggingfase' for config group 'hub'; "
        "options: huggingface, local (did you mean 'huggingface'?)"]


def test_unknown_config_group_option_in_the_defaults_list(project: Project,
                                                         errors_of: Errors) -> None:
    project.config("defaults:\n  - hub: local\n  - families: [demo, dmeo]\n  - _self_\n")
    assert errors_of() == [
        "conf/config.yaml:3:22: families: unknown option 'dmeo' for config group 'families'; "
        "options: demo (did you mean 'demo'?)"]


def test_repo_names_the_hub_rejects(errors_of: Errors) -> None:
    assert errors_of("families.demo.repo_name=Demo {size}-{stage}") == [
        "override 'families.demo.repo_name=Demo {size}-{stage}': families.demo.repo_name: "
        "variant '1B-Base' expands to 'acme/Demo 1B-Base', which the Hub rejects: Repo id must "
        "use alphanumeric chars, '-', '_' or '.'. The name cannot start or end with '-' or '.' "
        "and the maximum length is 96: 'acme/Demo 1B-Base'."]


def test_repo_names_longer_than_the_hub_allows(errors_of: Errors) -> None:
    errors = errors_of("families.demo.repo_name=" + "x" * 90 + "-{size}-{stage}")
    assert len(errors) == 1 and "maximum length is 96" in errors[0]


def test_branch_names_that_are_not_git_refs(project: Project, errors_of: Errors) -> None:
    project.family("demo", DEMO_FAMILY.replace('date: "2024-01-15"', 'date: "2024:01:15"'))
    assert errors_of() == [
        "conf/families/demo.yaml:20:11: families.demo.runs.variants.1B-Instruct[0]: branch "
        "'instruct_1b_2024:01:15_seed42' (from '{stage_lower}_{size_lower}_{date}_seed{seed}') "
        "is not a valid git ref name: it contains ':', which git does not allow in a ref name"]


def test_branch_template_that_can_never_be_a_git_ref(errors_of: Errors) -> None:
    assert errors_of("families.demo.runs.branch={stage}..{seed}") == [
        "override 'families.demo.runs.branch={stage}..{seed}': families.demo.runs.branch: "
        "'{stage}..{seed}' is not a valid git ref name: it contains '..'"]


def test_tag_names_that_are_not_git_refs(errors_of: Errors) -> None:
    assert errors_of("families.demo.variants.1B-Instruct.release.tag=v1.0.lock") == [
        "override 'families.demo.variants.1B-Instruct.release.tag=v1.0.lock': "
        "families.demo.variants.1B-Instruct.release.tag: tag 'v1.0.lock' is not a valid git "
        "ref name: it has a component ending with '.lock' ('v1.0.lock')"]


def test_release_revision_must_be_main_or_a_run_branch(errors_of: Errors) -> None:
    assert errors_of(
        "families.demo.variants.1B-Instruct.release.revision=instruct_1b_2024-01-15_seed24") == [
        "override 'families.demo.variants.1B-Instruct.release.revision="
        "instruct_1b_2024-01-15_seed24': families.demo.variants.1B-Instruct.release.revision: "
        "revision 'instruct_1b_2024-01-15_seed24' is neither 'main' nor a run branch of "
        "'1B-Instruct' (did you mean 'instruct_1b_2024-01-15_seed42'?)"]


def test_template_placeholders_that_do_not_exist(project: Project, errors_of: Errors) -> None:
    project.family("demo", DEMO_FAMILY.replace('"Demo-{size}-{stage}"', '"Demo-{sise}-{stage}"'))
    assert errors_of() == [
        "conf/families/demo.yaml:3:14: families.demo.repo_name: unknown placeholder '{sise}' "
        "in 'Demo-{sise}-{stage}' (did you mean '{size}'?)"]


def test_placeholder_in_card_metadata_points_at_the_layer_that_set_it(errors_of: Errors) -> None:
    errors = errors_of("families.demo.variants.7B-*.card.metadata.base_model=acme/{parent}")
    assert errors == [
        "override 'families.demo.variants.7B-*.card.metadata.base_model=acme/{parent}': "
        "families.demo.variants.7B-*.card.metadata.base_model: unknown placeholder '{parent}' in "
        "'acme/{parent}' (did you mean '{variant}'?)"]


def test_two_variants_expanding_to_the_same_repo_id(errors_of: Errors) -> None:
    assert errors_of("families.demo.repo_name=Demo-{size}") == [
        "override 'families.demo.repo_name=Demo-{size}': families.demo.repo_name: variants "
        "'1B-Base' and '1B-Instruct' both expand to 'acme/Demo-1B' (use every axis in the name, "
        "e.g. '{stage}')",
        "override 'families.demo.repo_name=Demo-{size}': families.demo.repo_name: variants "
        "'7B-Base' and '7B-Instruct' both expand to 'acme/Demo-7B' (use every axis in the name, "
        "e.g. '{stage}')"]


def test_non_deterministic_values_are_refused(project: Project, errors_of: Errors) -> None:
    project.family("demo", DEMO_FAMILY.replace('date: "2024-01-15"', 'date: "${now:%Y-%m-%d}"'))
    assert errors_of() == [
        "conf/families/demo.yaml:20:18: families.demo.runs.variants.1B-Instruct[0].date: "
        "'${now:%Y-%m-%d}' is not deterministic: 'now' reads the clock, so no two plans would "
        "agree (write the value out)"]


def test_selectors_that_match_no_variant(errors_of: Errors) -> None:
    assert errors_of("families.demo.variants.70B-*.gated=auto") == [
        "override 'families.demo.variants.70B-*.gated=auto': families.demo.variants.70B-*: "
        "selector '70B-*' matches no variant (variants: 1B-Base, 1B-Instruct, 7B-Base, "
        "7B-Instruct)"]


def test_a_family_file_must_define_the_family_it_is_named_after(project: Project,
                                                               errors_of: Errors) -> None:
    project.config("defaults:\n  - hub: local\n  - families: [demo, copy]\n  - _self_\n")
    project.family("copy", DEMO_FAMILY)
    assert errors_of() == [
        "conf/families/copy.yaml:1:1: families.copy: a family file defines the family it is "
        "named after, as a single top-level key 'copy:' (found 'demo')"]


def test_every_error_is_reported_at_once(project: Project, errors_of: Errors) -> None:
    project.family("demo", DEMO_FAMILY.replace("visibility: public", "visibilty: public")
                   .replace("gated: manual", "gated: sometimes"))
    assert errors_of("+families.demo.colection.title=Demo") == [
        "conf/families/demo.yaml:12:21: families.demo.variants.7B-*.gated: expected one of "
        "false, 'auto', 'manual', got string 'sometimes'",
        "conf/families/demo.yaml:14:7: families.demo.variants.1B-Instruct.visibilty: unknown "
        "key in Variant (did you mean 'visibility'?)",
        "override '+families.demo.colection.title=Demo': families.demo.colection: unknown key in "
        "Family (did you mean 'collection'?)",
    ]


def test_yaml_syntax_errors_name_the_file_and_line(project: Project, errors_of: Errors) -> None:
    project.family("demo", DEMO_FAMILY.replace("matrix:", "matrix: [").replace(
        "size: [1B, 7B]", "size: [1B, 7B"))
    errors = errors_of()
    assert len(errors) == 1 and errors[0].startswith("conf/families/demo.yaml:")
    assert "YAML syntax error" in errors[0]


def test_card_template_undefined_variable_names_template_and_line(project: Project,
                                                                 errors_of: Errors) -> None:
    (project.root / "templates" / "mine.md.j2").write_text("# {{ title }}\n\n{{ tagline }}\n")
    assert errors_of("families.demo.defaults.card.template=mine.md.j2") == [
        "templates/mine.md.j2:3: card template 'mine.md.j2': 'tagline' is undefined (set it in "
        "card: or vars:, or guard it with {% if ... %})"]  # once, not once per variant


def test_missing_card_template(errors_of: Errors) -> None:
    assert errors_of("families.demo.defaults.card.template=model_card.md") == [
        "override 'families.demo.defaults.card.template=model_card.md': "
        "families.demo.defaults.card.template: card template 'model_card.md' not found in "
        "'templates' (did you mean 'model_card.md.j2'?)"]


def test_missing_card_template_in_a_file_names_its_line(project: Project,
                                                        errors_of: Errors) -> None:
    project.family("demo", DEMO_FAMILY.replace("metadata: {license: apache-2.0}",
                                               "template: model-card.md.j2"))
    assert errors_of() == [
        "conf/families/demo.yaml:10:17: families.demo.defaults.card.template: card template "
        "'model-card.md.j2' not found in 'templates' (did you mean 'model_card.md.j2'?)"]


def test_unknown_placeholder_without_a_close_match_lists_the_placeholders(
        errors_of: Errors) -> None:
    assert errors_of("families.demo.variants.7B-*.card.metadata.base_model=acme/{zzz}") == [
        "override 'families.demo.variants.7B-*.card.metadata.base_model=acme/{zzz}': "
        "families.demo.variants.7B-*.card.metadata.base_model: unknown placeholder '{zzz}' in "
        "'acme/{zzz}' (placeholders here: {family}, {namespace}, {variant}, {size}, "
        "{size_lower}, {size_upper}, {stage}, {stage_lower}, {stage_upper}, {repo_name}, "
        "{repo_id})"]
