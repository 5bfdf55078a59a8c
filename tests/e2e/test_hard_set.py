"""Citizens as they really write, through the real stack: the hard held-out set, and
every name of every procedure inside a sentence."""

from __future__ import annotations

import itertools
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import yaml

from tests.e2e import hard_set
from tests.e2e.stack import ROOT

pytestmark = pytest.mark.e2e

HARD_SET = ROOT / "tests" / "nlu" / "hard.yml"
RESULTS = ROOT / "results" / "hard" / "hard.json"
GATE = 0.90
SENTENCES = {
    "es": [
        "hola buenas, una pregunta sobre {name} porfa",
        "oiga disculpe, me pueden orientar con {name}?",
        "tengo una duda con {name}",
        "quiero información de {name}",
        "info de {name} x fa",
    ],
    "en": [
        "hi, I have a question about {name}",
        "can you help me with {name} please",
        "I need information on {name}",
    ],
}


def test_citizens_messages_are_answered_about_what_they_asked(stack):
    outcomes = hard_set.run(stack, hard_set.load(HARD_SET))
    result = hard_set.write(outcomes, RESULTS)
    print("\n" + hard_set.markdown(result))

    misses = [f"{o.case.klass}: {o.case.text!r} → {o.why}" for o in outcomes if not o.ok]
    assert result["called_unknown"] == 0, misses
    assert result["overall"]["share"] >= GATE, "\n".join(misses)


def test_no_name_of_a_catalog_procedure_is_ever_called_unknown(stack):
    """Every alias of every procedure, in a sentence, straight through Rasa and the
    action server: the answer is about that procedure."""
    asked = []
    templates = {lang: itertools.cycle(texts) for lang, texts in SENTENCES.items()}
    for path in sorted((ROOT / "data" / "procedures").glob("*.yml")):
        procedure = yaml.safe_load(path.read_text(encoding="utf-8"))
        for language in ("es", "en"):
            for alias in procedure["aliases"][language]:
                asked.append((procedure["slug"], next(templates[language]).format(name=alias)))
    names = hard_set.procedure_names()

    def answer(question: tuple[str, str]) -> tuple[str, str, list[str]]:
        slug, text = question
        response = requests.post(
            f"{stack.rasa_url}/webhooks/desk/webhook",
            json={"sender": uuid.uuid4().hex, "message": text, "metadata": {}},
            headers={"Authorization": f"Bearer {stack.rasa_token}"},
            timeout=60,
        )
        response.raise_for_status()
        return slug, text, [m.get("text", "") for m in response.json()["messages"]]

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(answer, asked))

    wrong = []
    for slug, text, replies in answers:
        case = hard_set.HardCase(text, "named", "es", "whatsapp", (slug,))
        ok, why = hard_set.judge(case, replies, names)
        if not ok:
            wrong.append(f"{text!r} → {why}: {replies[:1]}")
    assert len(answers) > 200
    assert wrong == [], "\n".join(wrong)
