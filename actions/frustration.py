"""A citizen fed up with the assistant: insults, "no sirves", "alguien de verdad".

They rarely say "agente": asking them to pick from the menu again is the worst answer
there is, so these signs hand them to a person. Each sign is aimed at the assistant
or asks for a human; "la página no sirve" is a problem with a procedure, not with us,
and stays with the procedure's answer.
"""

from __future__ import annotations

from actions.catalog import words

INSULTS = (
    "pendejo",
    "pendeja",
    "pendejada",
    "pendejadas",
    "idiota",
    "estupido",
    "estupida",
    "imbecil",
    "inutil",
    "tonto",
    "tonta",
    "baboso",
    "babosa",
    "menso",
    "mensa",
    "pinche",
    "chinga",
    "chingues",
    "chingada",
    "chingado",
    "chingadera",
    "chingaderas",
    "puto",
    "puta",
    "mierda",
    "verga",
    "culero",
    "culera",
    "useless",
    "stupid",
    "idiot",
    "dumb",
    "fuck",
    "fucking",
    "shit",
    "crap",
)
# Anger at us even when it comes as a question ("¿me estás tomando el pelo?").
MOCKED = ("tomando el pelo", "me estas vacilando", "te estas burlando", "se burlan", "kidding me")
# Asking for a human in other words, also when phrased as a question about us. Not
# "¿eres una persona real?": that asks what we are (bot_challenge), and is answered.
WANTS_PERSON = (
    "alguien de verdad",
    "persona de verdad",
    "gente de verdad",
    "de carne y hueso",
    "hablar con un humano",
    "quiero un humano",
    "pasame a un humano",
    "paseme a un humano",
    "alguien que sepa",
    "alguien que si sepa",
    "hablar con alguien",
    "pasame con alguien",
    "paseme con alguien",
    "pasame a alguien",
    "paseme a alguien",
    "comuniqueme con alguien",
    "comunicame con alguien",
    "someone real",
    "talk to someone",
    "speak to someone",
)
FED_UP = (
    "no sirves",
    "no sirve este",
    "no sirve esto",
    "no sirve el bot",
    "no sirve tu",
    "no sirve para nada",
    "no sirven para nada",
    "no entiendes",
    "no me entiendes",
    "no entiende nada",
    "no me estas ayudando",
    "no me ayudas",
    "no ayudas",
    "ya me canse",
    "ya me harte",
    "estoy harto",
    "estoy harta",
    "que fastidio",
    "ya no se que hacer",
    "no se que hacer",
    "ya no se que mas hacer",
    "no avanzo",
    "este robot",
    "maldito robot",
    "stupid bot",
    "this bot",
    "you are useless",
    "you don't understand",
    "you dont understand",
    "not helping",
    "fed up",
)


def is_frustrated(text: str) -> bool:
    """Whether the message is aimed at the assistant in anger or asks for a human."""
    return _shows(text, INSULTS + MOCKED + WANTS_PERSON + FED_UP)


def wants_a_person(text: str) -> bool:
    """Insults, or a human asked for: "¿eres un robot?" asks what we are and "¿hay
    gente real ahí?" asks for someone; "eres un inútil" is no question at all."""
    return _shows(text, INSULTS + MOCKED + WANTS_PERSON)


def lost(text: str) -> bool:
    """ "???", "y???", "huh??": nothing asked, a sign of a citizen who did not get an
    answer. Counted as a miss, so after another miss it reaches a person."""
    stripped = text.strip()
    return only_punctuation(stripped) or (stripped.count("?") >= 2 and len(words(text)) <= 2)


def _shows(text: str, signs: tuple[str, ...]) -> bool:
    padded = " " + " ".join(words(text)) + " "
    return any(f" {' '.join(words(sign))} " in padded for sign in signs)


def only_punctuation(text: str) -> bool:
    """ "???", "¿¿??", "..." : nothing said, after a miss the sign of a lost citizen."""
    stripped = text.strip()
    return bool(stripped) and not words(stripped)
