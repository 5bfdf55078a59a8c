"""Who a citizen asks about, read from their words: "mi suegra va a cumplir 64", "mis
abuelos, él 65 y ella 63", "my son is in high school", "tengo una parcela".

Only what the message says: an age in digits or words (or a birth year), the sex a
relative's name tells, a school level, land, living abroad. `fits` checks a person
against a programme's `eligibility` rules from the catalog.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from actions.catalog import Procedure, words

FEMALE, MALE = "female", "male"
BASIC, UPPER_SECONDARY, HIGHER = "basic", "upper_secondary", "higher"

# Relatives, and how an answer names them back: "a tu suegra", "your mother-in-law".
RELATIVES: dict[str, tuple[str | None, str, str]] = {
    "mama": (FEMALE, "tu mamá", "your mother"),
    "mami": (FEMALE, "tu mamá", "your mother"),
    "madre": (FEMALE, "tu mamá", "your mother"),
    "jefa": (FEMALE, "tu mamá", "your mother"),
    "jefecita": (FEMALE, "tu mamá", "your mother"),
    "papa": (MALE, "tu papá", "your father"),
    "papi": (MALE, "tu papá", "your father"),
    "padre": (MALE, "tu papá", "your father"),
    "jefe": (MALE, "tu papá", "your father"),
    "abuela": (FEMALE, "tu abuela", "your grandmother"),
    "abuelita": (FEMALE, "tu abuela", "your grandmother"),
    "abuelo": (MALE, "tu abuelo", "your grandfather"),
    "abuelito": (MALE, "tu abuelo", "your grandfather"),
    "suegra": (FEMALE, "tu suegra", "your mother-in-law"),
    "suegro": (MALE, "tu suegro", "your father-in-law"),
    "tia": (FEMALE, "tu tía", "your aunt"),
    "tio": (MALE, "tu tío", "your uncle"),
    "esposa": (FEMALE, "tu esposa", "your wife"),
    "esposo": (MALE, "tu esposo", "your husband"),
    "marido": (MALE, "tu esposo", "your husband"),
    "senora": (FEMALE, "la señora", "her"),
    "senor": (MALE, "el señor", "him"),
    "hermana": (FEMALE, "tu hermana", "your sister"),
    "hermano": (MALE, "tu hermano", "your brother"),
    "hija": (FEMALE, "tu hija", "your daughter"),
    "hijo": (MALE, "tu hijo", "your son"),
    "sobrina": (FEMALE, "tu sobrina", "your niece"),
    "sobrino": (MALE, "tu sobrino", "your nephew"),
    "nieta": (FEMALE, "tu nieta", "your granddaughter"),
    "nieto": (MALE, "tu nieto", "your grandson"),
    "prima": (FEMALE, "tu prima", "your cousin"),
    "primo": (MALE, "tu primo", "your cousin"),
    "vecina": (FEMALE, "tu vecina", "your neighbour"),
    "vecino": (MALE, "tu vecino", "your neighbour"),
    "ella": (FEMALE, "ella", "her"),
    "mom": (FEMALE, "tu mamá", "your mother"),
    "mother": (FEMALE, "tu mamá", "your mother"),
    "dad": (MALE, "tu papá", "your father"),
    "father": (MALE, "tu papá", "your father"),
    "grandma": (FEMALE, "tu abuela", "your grandmother"),
    "grandmother": (FEMALE, "tu abuela", "your grandmother"),
    "grandpa": (MALE, "tu abuelo", "your grandfather"),
    "grandfather": (MALE, "tu abuelo", "your grandfather"),
    "wife": (FEMALE, "tu esposa", "your wife"),
    "husband": (MALE, "tu esposo", "your husband"),
    "daughter": (FEMALE, "tu hija", "your daughter"),
    "son": (MALE, "tu hijo", "your son"),
    "sister": (FEMALE, "tu hermana", "your sister"),
    "brother": (MALE, "tu hermano", "your brother"),
    "aunt": (FEMALE, "tu tía", "your aunt"),
    "uncle": (MALE, "tu tío", "your uncle"),
    "niece": (FEMALE, "tu sobrina", "your niece"),
    "nephew": (MALE, "tu sobrino", "your nephew"),
    "she": (FEMALE, "ella", "her"),
}
# "él" loses its accent in normalized text and becomes the article "el": a person only
# when an age follows it ("él 65, ella 63").
HE = {"el": (MALE, "él", "him"), "he": (MALE, "él", "him")}
SELF_FEMALE = ("soy mujer", "soy una mujer", "soy senora", "i am a woman", "im a woman")
SELF_MALE = ("soy hombre", "soy un hombre", "soy senor", "i am a man", "im a man")
SELF = ("tengo", "cumpli", "soy", "me toca", "me corresponde", "i am", "im", "i m", "i turned")

SCHOOLS = {
    BASIC: (
        "kinder",
        "preescolar",
        "primaria",
        "secundaria",
        "secu",
        "telesecundaria",
        "elementary",
        "middle school",
    ),
    UPPER_SECONDARY: (
        "prepa",
        "preparatoria",
        "bachillerato",
        "bachiller",
        "bachilleres",
        "telebachillerato",
        "cbtis",
        "cbta",
        "cetis",
        "conalep",
        "cecyt",
        "cecytem",
        "cecytes",
        "cobach",
        "cobaev",
        "cobay",
        "dgeti",
        "cch",
        "media superior",
        "high school",
        "upper secondary",
    ),
    HIGHER: (
        "universidad",
        "uni",
        "licenciatura",
        "carrera",
        "tecnologico",
        "normal",
        "college",
        "university",
    ),
}
LAND = (
    "parcela",
    "parcelas",
    "hectareas",
    "hectarea",
    "ejido",
    "ejidatario",
    "ejidataria",
    "milpa",
    "campesino",
    "campesina",
    "siembro",
    "sembrar",
    "cultivo",
    "terreno",
    "tierras",
    "rancho",
    "farm",
    "farmer",
    "land",
    "acres",
)
# Old age without a number: the programmes from 60 on are worth naming, with their ages.
ELDERLY = (
    "tercera edad",
    "adulto mayor",
    "adultos mayores",
    "viejito",
    "viejita",
    "ancianito",
    "ancianita",
    "anciano",
    "anciana",
    "jubilado",
    "jubilada",
    "elderly",
    "senior citizen",
)
ABROAD = (
    "estados unidos",
    "eeuu",
    "usa",
    "gabacho",
    "canada",
    "extranjero",
    "el otro lado",
    "abroad",
    "in the us",
    "in the states",
    "in canada",
)

UNITS = {
    "uno": 1,
    "un": 1,
    "una": 1,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "cinco": 5,
    "seis": 6,
    "siete": 7,
    "ocho": 8,
    "nueve": 9,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
TEENS = {
    "diez": 10,
    "once": 11,
    "doce": 12,
    "trece": 13,
    "catorce": 14,
    "quince": 15,
    "dieciseis": 16,
    "diecisiete": 17,
    "dieciocho": 18,
    "diecinueve": 19,
    "veinte": 20,
    "veintiuno": 21,
    "veintidos": 22,
    "veintitres": 23,
    "veinticuatro": 24,
    "veinticinco": 25,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS = {
    "treinta": 30,
    "cuarenta": 40,
    "cincuenta": 50,
    "sesenta": 60,
    "setenta": 70,
    "ochenta": 80,
    "noventa": 90,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
ENGLISH_TENS = {"twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}

# "tengo 2 hijos", "tiene 3 hectáreas", "hace 3 semanas": a number is not always an age.
NOT_AGE = (
    r"(?! (?:hijos|hijas|hijo|hija|nietos|hectareas|hectarea|ha|dias|meses|semanas|pesos|"
    r"mil|horas|veces|citas|cuentas|anos cotizando|semestre|kids|children|days|months|"
    r"weeks|acres|hours))"
)
AGE_AFTER = r"(\d{1,3}) (?:anos|ano|anitos|years|year|yrs|yo)\b(?! cotizando)"
AGE_BEFORE = (
    r"\b(?:tiene|tengo|tienen|tenia|cumplio|cumpli|edad|is|am|im|i m|aged|age|turned|de|"
    r"llego a los|a los|ya con|con)" + r" (\d{1,3})\b" + NOT_AGE
)
TURNING = (
    r"\b(?:va a cumplir|vaya a cumplir|voy a cumplir|cumplira|cumplire|cumple|turning|turns|"
    r"will be|will turn)(?: los)? (\d{1,3})\b" + NOT_AGE
)
BORN = r"\b(?:naci|nacio|nacida|nacido|born in|born)(?: en| in)? (19\d\d|20[0-2]\d)\b"


@dataclass(frozen=True)
class Person:
    age: int | None = None
    turning: int | None = None  # "va a cumplir 65": the age they reach soon
    sex: str | None = None
    relative: tuple[str, str] | None = None  # how to name them back (es, en); None: the citizen


@dataclass(frozen=True)
class Situation:
    """What the message tells about the people the citizen asks for."""

    people: tuple[Person, ...] = field(default_factory=tuple)
    school: str | None = None
    rural_land: bool = False
    abroad: bool = False
    myself: bool = False  # the citizen asks for themself ("tengo 61")
    elderly: bool = False  # "ya es de la tercera edad", with no age given

    @property
    def aged(self) -> bool:
        return any(p.age is not None for p in self.people)

    @property
    def known(self) -> bool:
        return self.aged or self.school is not None or self.rural_land or self.elderly

    @property
    def person(self) -> Person:
        return self.people[0] if self.people else Person()


def read_situation(text: str) -> Situation:
    tokens = _digits(words(text))
    said = " ".join(tokens)
    padded = f" {said} "
    people = [_person(part, marker) for part, marker in _segments(tokens)]
    people = [p for p in people if p.age is not None or p.relative is not None] or [Person()]
    if any(f" {sign} " in padded for sign in SELF_FEMALE):
        people[0] = Person(people[0].age, people[0].turning, FEMALE, people[0].relative)
    elif any(f" {sign} " in padded for sign in SELF_MALE):
        people[0] = Person(people[0].age, people[0].turning, MALE, people[0].relative)
    school = next(
        (level for level, signs in SCHOOLS.items() if any(_says(padded, s) for s in signs)),
        None,
    )
    return Situation(
        people=tuple(people),
        school=school,
        rural_land=any(f" {sign} " in padded for sign in LAND),
        abroad=any(_says(padded, sign) for sign in ABROAD),
        elderly=any(_says(padded, sign) for sign in ELDERLY),
        myself=all(p.relative is None for p in people) and any(_says(padded, s) for s in SELF),
    )


def _says(padded: str, sign: str) -> bool:
    return f" {' '.join(words(sign))} " in padded


def _segments(tokens: list[str]) -> list[tuple[str, tuple[str | None, str, str] | None]]:
    """The message cut where a new person is named, each part with who it is about."""
    cuts: list[tuple[int, tuple[str | None, str, str]]] = []
    for i, token in enumerate(tokens):
        if token in RELATIVES:
            cuts.append((i, RELATIVES[token]))
        elif token in HE and i + 1 < len(tokens) and tokens[i + 1].isdigit():
            cuts.append((i, HE[token]))
    if not cuts:
        return [(" ".join(tokens), None)]
    parts = []
    for n, (start, who) in enumerate(cuts):
        end = cuts[n + 1][0] if n + 1 < len(cuts) else len(tokens)
        # Words before the first person ("ya tiene 66 mi abuelo") belong to them too.
        parts.append((" ".join(tokens[0 if n == 0 else start : end]), who))
    return parts


def _person(said: str, who: tuple[str | None, str, str] | None) -> Person:
    sex, relative = (who[0], (who[1], who[2])) if who else (None, None)
    turning = re.search(TURNING, said)
    if turning and 0 < int(turning.group(1)) <= 120:
        reached = int(turning.group(1))
        return Person(reached - 1, reached, sex, relative)
    for pattern in (AGE_AFTER, AGE_BEFORE):
        found = re.search(pattern, said)
        if found and 0 < int(found.group(1)) <= 120:
            return Person(int(found.group(1)), None, sex, relative)
    born = re.search(BORN, said)
    if born:
        return Person(date.today().year - int(born.group(1)), None, sex, relative)
    if who is not None:
        # "él 65", "mi papá 70 y mi mamá 62": a lone number beside a person is their age.
        bare = re.search(r"\b(\d{2,3})\b" + NOT_AGE, said)
        if bare and 15 <= int(bare.group(1)) <= 110:
            return Person(int(bare.group(1)), None, sex, relative)
    return Person(None, None, sex, relative)


def _digits(tokens: list[str]) -> list[str]:
    """Ages in words become digits: "sesenta y cuatro" → "64", "sixty four" → "64"."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in TENS:
            value = TENS[token]
            rest = tokens[i + 1 : i + 3]
            if len(rest) == 2 and rest[0] == "y" and rest[1] in UNITS:
                value, i = value + UNITS[rest[1]], i + 2
            elif rest and rest[0] in UNITS and token in ENGLISH_TENS:
                value, i = value + UNITS[rest[0]], i + 1
            out.append(str(value))
        elif token in TEENS:
            out.append(str(TEENS[token]))
        else:
            out.append(token)
        i += 1
    return out


YES, IF_WOMAN = "yes", "if_woman"


def ruled_out(procedure: Procedure, situation: Situation) -> bool:
    """Whether what we know of the person contradicts the programme's rules: "la
    pensión de mi abuelo" cannot be the women's pension."""
    rules = procedure.eligibility
    if rules is None:
        return False
    person = situation.person
    if rules["sex"] is not None and person.sex is not None and person.sex != rules["sex"]:
        return True
    if person.age is not None:
        if rules["age_min"] is not None and person.age < rules["age_min"]:
            return True
        if rules["age_max"] is not None and person.age > rules["age_max"]:
            return True
    return rules["lives_in"] in ("mexico", "rural_mexico") and situation.abroad


def fits(
    procedure: Procedure, situation: Situation, person: Person | None = None, age: int | None = None
) -> str | None:
    """YES when the programme's rules fit what we know of ``person`` (the first named by
    default), IF_WOMAN when only their sex is unknown, None when it does not fit or when
    nothing we know points to it (an age limit alone, the grant's "up to 25", does not)."""
    rules = procedure.eligibility
    if rules is None:
        return None
    person = person or situation.person
    age = person.age if age is None else age
    pointed = False
    if (rules["age_min"] is not None or rules["age_max"] is not None) and age is not None:
        if rules["age_min"] is not None and age < rules["age_min"]:
            return None
        if rules["age_max"] is not None and age > rules["age_max"]:
            return None
        pointed = rules["age_min"] is not None and rules["age_min"] >= 60
    if rules["school_levels"]:
        if situation.school not in rules["school_levels"]:
            return None
        pointed = True
    if rules["needs_rural_land"]:
        if not situation.rural_land:
            return None
        pointed = True
    if rules["lives_in"] in ("mexico", "rural_mexico") and situation.abroad:
        return None
    if not pointed:
        return None
    if rules["sex"] is not None and person.sex != rules["sex"]:
        return None if person.sex is not None else IF_WOMAN
    return YES
