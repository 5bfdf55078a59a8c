"""Reviewed examples written back into the NLU data: where they go, and what survives."""

from __future__ import annotations

import difflib
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from ruamel.yaml import YAML

from desk.training import nlu_data
from desk.training.nlu_data import Domain, Example, Refused, Span

REPO = Path(__file__).resolve().parents[3]
TEST_SET = Path("tests/nlu/test_nlu.yml")
REVIEWED = Path("data/nlu/reviewed")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A copy of the repository's NLU data, held-out sets and domain."""
    for folder in ("data/nlu", "tests/nlu", "bot/domain"):
        shutil.copytree(REPO / folder, tmp_path / folder, ignore=shutil.ignore_patterns("*.py"))
    return tmp_path


@pytest.fixture
def domain(root: Path) -> Domain:
    return nlu_data.load_domain(root)


def phrase(*, held_out: bool, intent: str = "ask_where", start: int = 0) -> Example:
    """A new citizen message that the split sends to the side asked for."""
    for number in range(start, start + 200):
        example = Example(f"donde queda la oficina del bienestar de la colonia {number}", intent)
        if nlu_data.held_out(example) is held_out:
            return example
    raise AssertionError("no phrase found")


def files_of(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def added_lines(before: str, after: str) -> list[str]:
    """The lines ``after`` adds; fails if it removes or changes any line of ``before``."""
    matcher = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines(), autojunk=False)
    added = []
    for tag, _a1, _a2, b1, b2 in matcher.get_opcodes():
        assert tag in {"equal", "insert"}, f"{tag} of existing lines"
        if tag == "insert":
            added.extend(after.splitlines()[b1:b2])
    return added


def intent_examples(text: str, intent: str) -> list[str]:
    document = yaml.safe_load(text)
    return [
        line
        for block in document["nlu"]
        if block.get("intent") == intent
        for line in block["examples"].splitlines()
    ]


# Annotations


def test_an_entity_whose_value_is_its_own_text_is_written_in_the_short_form():
    example = Example(
        "cuanto cuesta el pasaporte", "ask_cost", (Span(17, 26, "procedure", "pasaporte"),)
    )

    assert nlu_data.annotated(example) == "cuanto cuesta el [pasaporte](procedure)"


def test_an_entity_with_another_value_is_written_in_the_json_form():
    example = Example(
        "ocupo la pensión del bienestar",
        "ask_requirements",
        (Span(9, 30, "procedure", "pensión_adultos_mayores"),),
    )

    assert nlu_data.annotated(example) == (
        'ocupo la [pensión del bienestar]{"entity": "procedure", '
        '"value": "pensión_adultos_mayores"}'
    )


def test_entities_are_rendered_in_text_order_whatever_order_they_came_in():
    example = Example(
        "la curp y el acta", "ask_where", (Span(13, 17, "procedure"), Span(3, 7, "procedure"))
    )

    assert nlu_data.annotated(example) == "la [curp](procedure) y el [acta](procedure)"


def test_every_annotated_line_of_the_repository_reads_back_as_written():
    lines = [
        line
        for path in [*sorted((REPO / "data/nlu").glob("*.yml")), REPO / TEST_SET]
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]
        if "intent" in block
        for line in (row[2:] for row in block["examples"].splitlines())
        if "](" in line
    ]

    assert len(lines) > 500
    assert [nlu_data.annotated(nlu_data.parse(line, "x")) for line in lines] == lines


def test_the_json_form_reads_back_with_its_value():
    line = 'tramitar la [e.firma]{"entity": "procedure", "value": "efirma"} hoy'

    example = nlu_data.parse(line, "ask_where")

    assert example.text == "tramitar la e.firma hoy"
    assert example.entities == (Span(12, 19, "procedure", "efirma"),)


# Normalizing and the held-out split


def test_normalize_ignores_case_accents_punctuation_spaces_and_annotations():
    assert nlu_data.normalize("¿Cuánto  cuesta la [E.Firma](procedure)?") == (
        nlu_data.normalize("cuanto cuesta la e firma")
    )


def test_normalize_folds_the_enye_like_a_phone_keyboard_does():
    assert nlu_data.normalize("Cuántos AÑOS dura") == "cuantos anos dura"


def test_normalize_agrees_with_the_leak_guard_on_every_example_in_the_repository():
    catalog = pytest.importorskip("actions.catalog")
    guard_annotation = re.compile(r"\[([^\]]*)\]\([^)]*\)")  # tests/nlu/test_held_out.py
    lines = [
        row[2:]
        for path in [*sorted((REPO / "data/nlu").glob("*.yml")), REPO / TEST_SET]
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]
        if "intent" in block
        for row in block["examples"].splitlines()
    ]

    assert len(lines) > 2000
    for line in lines:
        guard = " ".join(catalog.words(guard_annotation.sub(r"\1", line)))
        assert nlu_data.normalize(line) == guard, line


def test_the_same_words_land_on_the_same_side_whoever_labels_them():
    variants = [
        Example("¿Dónde saco la CURP de mi hijo?", "ask_where"),
        Example("donde saco la curp de mi hijo", "ask_what"),
        Example("DONDE SACO LA CURP DE MI HIJO!!", "inform_procedure"),
    ]

    assert len({nlu_data.held_out(example) for example in variants}) == 1


def test_the_split_is_pinned_so_reviewed_examples_never_change_sides():
    # Changing the hash would move examples already written into the other set.
    sides = [
        nlu_data.held_out(Example(f"hola buenas tardes, tramite numero {n}", "greet"))
        for n in range(10)
    ]

    assert sides == [False, False, False, False, False, False, False, True, False, False]


def test_about_one_in_five_messages_is_held_out():
    places = ["Iztapalapa", "Ecatepec", "Tlaquepaque", "Zapopan", "Oaxaca"]
    procedures = ["la curp", "el acta", "el pasaporte", "la efirma", "la pension"]
    texts = [
        f"buen dia, ocupo {procedure} para mi tramite {n} en {place}"
        for n in range(40)
        for place in places
        for procedure in procedures
    ]

    share = sum(nlu_data.held_out(Example(text, "ask_where")) for text in texts) / len(texts)

    assert len(texts) == 1000
    assert 0.15 <= share <= 0.25


# Domain and known examples


def test_the_domain_holds_every_intent_and_entity_of_bot_domain(domain: Domain):
    assert {"greet", "ask_case_status", "ask_eligibility", "out_of_scope"} <= domain.intents
    assert domain.entities == {"folio", "language", "procedure"}


def test_the_domain_reads_intents_declared_with_options(root: Path):
    (root / "bot/domain/extra.yml").write_text(
        'version: "3.1"\nintents:\n  - ask_appointment:\n      use_entities: [procedure]\n',
        encoding="utf-8",
    )

    assert "ask_appointment" in nlu_data.load_domain(root).intents


def test_known_examples_cover_training_the_test_set_and_both_hard_sets(root: Path):
    hard = yaml.safe_load((root / "tests/nlu/hard.yml").read_text(encoding="utf-8"))
    hard_dev = yaml.safe_load((root / "tests/nlu/hard_dev.yml").read_text(encoding="utf-8"))
    earlier_turn = next(m["before"][0] for m in hard["messages"] if m.get("before"))

    known = nlu_data.known_examples(root)

    assert known[nlu_data.normalize("quien puede tramitar la llave mx")] == (
        "data/nlu/procedures.yml"
    )
    assert known["q onda"] == "tests/nlu/test_nlu.yml"
    assert known[nlu_data.normalize(hard["messages"][0]["text"])] == "tests/nlu/hard.yml"
    assert known[nlu_data.normalize(earlier_turn)] == "tests/nlu/hard.yml"
    assert known[nlu_data.normalize(hard_dev["messages"][0]["text"])] == ("tests/nlu/hard_dev.yml")


def test_synonyms_and_lookup_tables_are_not_examples(root: Path):
    (root / "data/nlu/extra.yml").write_text(
        'version: "3.1"\nnlu:\n  - synonym: acta\n    examples: |\n      - papel del registro\n',
        encoding="utf-8",
    )

    assert nlu_data.normalize("papel del registro") not in nlu_data.known_examples(root)


# Refusals


@pytest.mark.parametrize(
    ("example", "code", "mentions"),
    [
        (Example("¿?", "greet"), "empty", "palabras"),
        (Example("hola\nbuenas", "greet"), "multiline", "líneas"),
        (Example(" hola buenas", "greet"), "padded", "espacios"),
        (Example("hola\tbuenas", "greet"), "invisible", "tabulador"),
        (Example("mi folio es [CAB-2026-000311]", "ask_case_status"), "brackets", "corchetes"),
        (Example("/restart", "greet"), "command", "/"),
        (Example("no entendi nada", "nlu_fallback"), "not_trainable", "nlu_fallback"),
        (Example("quiero una pizza", "pedir_pizza"), "unknown_intent", "pedir_pizza"),
        (
            Example("vivo en Puebla", "ask_where", (Span(8, 14, "ciudad"),)),
            "unknown_entity",
            "ciudad",
        ),
        (Example("la curp", "ask_where", (Span(3, 3, "procedure"),)), "span_range", "3–3"),
        (Example("la curp", "ask_where", (Span(3, 12, "procedure"),)), "span_range", "3–12"),
        (Example("la curp", "ask_where", (Span(2, 7, "procedure"),)), "span_spaces", "curp"),
        (Example("la curp", "ask_where", (Span(4, 7, "procedure"),)), "span_word", "urp"),
        (
            Example("acta de nacimiento", "ask_where", (Span(0, 4, "procedure"),) * 2),
            "span_overlap",
            "acta",
        ),
        (
            Example("la efirma", "ask_where", (Span(3, 9, "procedure", "e}firma"),)),
            "value",
            "e}firma",
        ),
    ],
)
def test_an_example_rasa_would_misread_is_refused_with_its_reason(
    example: Example, code: str, mentions: str, domain: Domain
):
    with pytest.raises(Refused) as refused:
        nlu_data.check(example, domain)

    assert refused.value.code == code
    assert refused.value.reason == str(refused.value)
    assert mentions in refused.value.reason


def test_parentheses_braces_and_emoticons_are_plain_text_for_rasa(root: Path, domain: Domain):
    example = Example(
        "ya quedo lo de mi curp (la de mi hijo) :) {gracias}",
        "thanks",
        (Span(18, 22, "procedure"),),
    )

    nlu_data.check(example, domain)
    result = nlu_data.write([example], root)

    assert [p.example for p in result.placed] == [example]
    written = (root / result.placed[0].path).read_text(encoding="utf-8")
    line = intent_examples(written, "thanks")[-1]
    assert nlu_data.parse(line[2:], "thanks") == example


def test_a_refused_batch_leaves_every_file_untouched(root: Path):
    before = files_of(root)

    result = nlu_data.write(
        [Example("quiero una pizza", "pedir_pizza"), Example("hola [amigo]", "greet")], root
    )

    assert [r.code for r in result.refused] == ["unknown_intent", "brackets"]
    assert result.placed == [] and result.before == {}
    assert files_of(root) == before


def test_a_refused_example_does_not_stop_the_rest_of_the_batch(root: Path):
    good = phrase(held_out=False)

    result = nlu_data.write([Example("/start", "greet"), good], root)

    assert [r.example.text for r in result.refused] == ["/start"]
    assert [p.example for p in result.placed] == [good]


# Writing


def test_a_training_example_goes_to_the_reviewed_file_of_its_intent(root: Path):
    example = phrase(held_out=False)

    result = nlu_data.write([example], root)

    assert result.placed == [
        nlu_data.Placement(example, REVIEWED / "ask_where.yml", held_out=False)
    ]
    assert f"- {example.text}" in intent_examples(
        (root / REVIEWED / "ask_where.yml").read_text(encoding="utf-8"), "ask_where"
    )


def test_a_new_reviewed_file_has_a_header_the_version_and_a_literal_block(root: Path):
    example = phrase(held_out=False)

    nlu_data.write([example], root)

    assert (root / REVIEWED / "ask_where.yml").read_text(encoding="utf-8") == (
        "# Written by the desk's review inbox (desk/training/nlu_data.py): examples that\n"
        "# trainers confirmed from real conversations. New lines are appended under their\n"
        "# intent; hand edits and comments are kept.\n"
        'version: "3.1"\n'
        "\n"
        "nlu:\n"
        "  - intent: ask_where\n"
        "    examples: |\n"
        f"      - {example.text}\n"
    )


def test_a_new_reviewed_file_reads_back_the_same_with_ruamel_and_pyyaml(root: Path):
    first = phrase(held_out=False, intent="ask_cost")
    second = phrase(held_out=False, intent="ask_cost", start=first_number(first) + 1)
    expected = {
        "version": "3.1",
        "nlu": [{"intent": "ask_cost", "examples": f"- {first.text}\n- {second.text}\n"}],
    }

    nlu_data.write([first, second], root)
    text = (root / REVIEWED / "ask_cost.yml").read_text(encoding="utf-8")

    assert yaml.safe_load(text) == expected
    assert YAML(typ="safe", pure=True).load(text) == expected


def first_number(example: Example) -> int:
    return int(example.text.rsplit(" ", 1)[1])


def test_later_examples_join_a_hand_edited_reviewed_file_without_changing_it(root: Path):
    path = root / REVIEWED / "ask_where.yml"
    path.parent.mkdir(parents=True)
    hand_edited = (
        "# Revisado por Lupita, marzo.\n"
        'version: "3.1"\n'
        "nlu:\n"
        "- intent: ask_where  # sin sangría, a propósito\n"
        "  examples: |\n"
        "    - en que modulo del imss me atienden\n"
        "  # los de Ecatepec van aparte\n"
        "\n"
        "- intent: ask_cost\n"
        "  examples: |\n"
        "    - cuanto sale la [curp](procedure) certificada\n"
    )
    path.write_text(hand_edited, encoding="utf-8")
    example = phrase(held_out=False)

    nlu_data.write([example], root)

    after = path.read_text(encoding="utf-8")
    assert added_lines(hand_edited, after) == [f"    - {example.text}"]
    assert after.index(example.text) < after.index("# los de Ecatepec")


def test_a_held_out_example_joins_its_intent_in_the_test_set_and_nothing_else_changes(
    root: Path,
):
    before = (root / TEST_SET).read_text(encoding="utf-8")
    example = phrase(held_out=True, intent="ask_where")

    result = nlu_data.write([example], root)

    after = (root / TEST_SET).read_text(encoding="utf-8")
    assert result.placed == [nlu_data.Placement(example, TEST_SET, held_out=True)]
    assert added_lines(before, after) == [f"    - {example.text}"]
    assert intent_examples(after, "ask_where")[-1] == f"- {example.text}"
    assert not (root / REVIEWED).exists()


def test_a_held_out_example_of_an_intent_the_test_set_lacks_starts_a_new_block(root: Path):
    before = (root / TEST_SET).read_text(encoding="utf-8")
    example = phrase(held_out=True, intent="ask_eligibility")

    nlu_data.write([example], root)

    after = (root / TEST_SET).read_text(encoding="utf-8")
    assert added_lines(before, after) == [
        "",
        "- intent: ask_eligibility",
        "  examples: |",
        f"    - {example.text}",
    ]


def test_a_strip_chomped_block_gets_its_new_example_on_a_line_of_its_own(root: Path):
    path = root / REVIEWED / "ask_where.yml"
    path.parent.mkdir(parents=True)
    original = (
        'version: "3.1"\nnlu:\n- intent: ask_where\n  examples: |-\n    - donde queda el sat\n'
    )
    path.write_text(original, encoding="utf-8")
    example = phrase(held_out=False)

    nlu_data.write([example], root)

    after = path.read_text(encoding="utf-8")
    assert added_lines(original, after) == [f"    - {example.text}"]
    assert intent_examples(after, "ask_where") == ["- donde queda el sat", f"- {example.text}"]


@pytest.mark.parametrize(
    "examples_value",
    ['"- donde queda el sat\\n"', "\n    - text: donde queda el sat"],
    ids=["quoted string", "list of texts"],
)
def test_a_file_that_could_not_keep_its_layout_is_refused_and_left_alone(
    root: Path, examples_value: str
):
    path = root / REVIEWED / "ask_where.yml"
    path.parent.mkdir(parents=True)
    original = f'version: "3.1"\nnlu:\n- intent: ask_where\n  examples: {examples_value}\n'
    path.write_text(original, encoding="utf-8")
    example = phrase(held_out=False)

    result = nlu_data.write([example], root)

    assert [(r.example, r.code) for r in result.refused] == [(example, "unwritable")]
    assert "data/nlu/reviewed/ask_where.yml" in result.refused[0].reason
    assert path.read_text(encoding="utf-8") == original


def test_training_data_outside_the_reviewed_folder_is_never_written(root: Path):
    before = {path: path.read_bytes() for path in (root / "data/nlu").glob("*.yml")}
    examples = [
        Example(f"oiga y donde saco la constancia del {n} de mayo", "ask_where")
        for n in range(1, 21)
    ]

    result = nlu_data.write(examples, root)

    assert len(result.placed) == 20
    assert {path: path.read_bytes() for path in (root / "data/nlu").glob("*.yml")} == before


# Duplicates


def test_a_training_example_with_other_case_and_accents_is_a_duplicate(root: Path):
    example = Example("¿QUIÉN puede tramitar la Llave MX?", "ask_what")

    result = nlu_data.write([example], root)

    assert result.duplicates == [nlu_data.Duplicate(example, "data/nlu/procedures.yml")]
    assert result.placed == []


@pytest.mark.parametrize(
    ("text", "found_in"),
    [
        ("Q onda!!", "tests/nlu/test_nlu.yml"),
        ("Cobran por sacar la Llave MX", "tests/nlu/hard.yml"),
        ("Qué trámites se pueden hacer con la Llave MX", "tests/nlu/hard_dev.yml"),
    ],
)
def test_a_held_out_message_is_a_duplicate_and_never_reaches_training(
    root: Path, text: str, found_in: str
):
    before = files_of(root)

    result = nlu_data.write([Example(text, "ask_what")], root)

    assert [d.found_in for d in result.duplicates] == [found_in]
    assert files_of(root) == before


def test_the_same_message_twice_in_one_batch_is_written_once(root: Path):
    example = phrase(held_out=False)
    again = Example(example.text.upper(), "ask_what")

    result = nlu_data.write([example, again], root)

    assert [p.example for p in result.placed] == [example]
    assert result.duplicates == [nlu_data.Duplicate(again, "data/nlu/reviewed/ask_where.yml")]


def test_writing_the_same_batch_again_changes_nothing(root: Path):
    batch = [phrase(held_out=False), phrase(held_out=True)]
    nlu_data.write(batch, root)
    before = files_of(root)

    result = nlu_data.write(batch, root)

    assert [d.example for d in result.duplicates] == batch
    assert files_of(root) == before


# Atomic replacement


def test_a_write_leaves_no_temporary_file_behind(root: Path):
    nlu_data.write([phrase(held_out=False), phrase(held_out=True)], root)

    leftovers = [path for path in root.rglob("*") if path.name.startswith(".")]
    assert leftovers == []


def test_a_crash_while_replacing_keeps_the_old_file_whole(
    root: Path, monkeypatch: pytest.MonkeyPatch
):
    before = files_of(root)

    def crash(source: str, target: str) -> None:
        raise OSError("disco lleno")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disco lleno"):
        nlu_data.write([phrase(held_out=True)], root)

    assert files_of(root) == before


def test_a_write_keeps_the_file_permissions(root: Path):
    (root / TEST_SET).chmod(0o640)

    nlu_data.write([phrase(held_out=True)], root)

    assert (root / TEST_SET).stat().st_mode & 0o777 == 0o640


# Patches


def test_the_patch_of_a_write_applies_to_an_untouched_copy(
    root: Path, tmp_path_factory: pytest.TempPathFactory
):
    if shutil.which("patch") is None:
        pytest.skip("patch(1) is not installed")
    clean = tmp_path_factory.mktemp("clean")
    for folder in ("data/nlu", "tests/nlu"):
        shutil.copytree(root / folder, clean / folder)
    result = nlu_data.write([phrase(held_out=False), phrase(held_out=True)], root)

    subprocess.run(
        ["patch", "-p1", "--quiet", "--batch"],
        input=result.patch(),
        text=True,
        cwd=clean,
        check=True,
    )

    for path in (TEST_SET, REVIEWED / "ask_where.yml"):
        assert (clean / path).read_bytes() == (root / path).read_bytes()


def test_a_snapshot_patch_shows_every_pending_change_since_then(root: Path):
    since = nlu_data.snapshot(root)
    first = phrase(held_out=False)
    nlu_data.write([first], root)
    second = phrase(held_out=False, intent="ask_cost", start=500)
    nlu_data.write([second], root)

    pending = nlu_data.patch(root, since)

    headers = [line for line in pending.splitlines() if line.startswith(("---", "+++"))]
    assert headers == [
        "--- /dev/null",
        "+++ b/data/nlu/reviewed/ask_cost.yml",
        "--- /dev/null",
        "+++ b/data/nlu/reviewed/ask_where.yml",
    ]
    assert f"+      - {first.text}\n" in pending
    assert f"+      - {second.text}\n" in pending


def test_nothing_written_means_an_empty_patch(root: Path):
    since = nlu_data.snapshot(root)

    result = nlu_data.write([Example("hola", "greet")], root)

    assert result.patch() == ""
    assert nlu_data.patch(root, since) == ""


def test_the_reviewed_files_validate_as_rasa_nlu_data_for_the_domain(root: Path, domain: Domain):
    examples = [
        phrase(held_out=False, intent=intent, start=1000 * n)
        for n, intent in enumerate(sorted(domain.intents))
    ]

    nlu_data.write(examples, root)

    for path in sorted((root / REVIEWED).glob("*.yml")):
        document = YAML(typ="safe", pure=True).load(io.StringIO(path.read_text("utf-8")))
        assert document["version"] == "3.1"
        assert [block["intent"] for block in document["nlu"]] == [path.stem]
        assert path.stem in domain.intents
