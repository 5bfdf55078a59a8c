"""A reviewed example reaches the training data without the citizen's personal data, and
keeps everything else: procedure names, years, prices, dates and postal codes."""

from __future__ import annotations

import pytest

from desk.training import scrub as s
from desk.training.scrub import apply, mark, scrub, segments


def kinds(text: str) -> list[str]:
    return [f.kind for f in scrub(text).findings]


def only(text: str) -> s.Finding:
    (finding,) = scrub(text).findings
    return finding


# Check digits -------------------------------------------------------------------------


def test_the_curp_check_digit_follows_renapo_weights_18_down_to_2():
    # G16·18 + O25·17 + D13·16 + E14·15 + 5·14 + 6·13 + 1·12 + 2·11 + 3·10 + 1·9
    # + H17·8 + D13·7 + F15·6 + R28·5 + R28·4 + N23·3 + 0·2 = 1990 → (10 - 0) % 10 = 0
    assert s.curp_check_digit("GODE561231HDFRRN0") == "0"
    # python-stdnum's example CURP ends in its check digit.
    assert s.curp_check_digit("BOXW310820HNERXN0") == "9"


def test_the_rfc_check_digit_is_sats_modulo_11_with_a_company_padded_by_a_space():
    # " SAT970701NN": 37·13 + S29·12 + A10·11 + T30·10 + 9·9 + 7·8 + 0·7 + 7·6 + 0·5 + 1·4
    # + N23·3 + N23·2 = 1537; 1537 % 11 = 8 → 11 - 8 = 3. SAT970701NN3 is the SAT's own RFC.
    assert s.rfc_check_digit("SAT970701NN") == "3"
    assert s.rfc_check_digit("GODE561231GR") == "8"


def test_luhn_accepts_the_textbook_number_and_refuses_it_one_digit_off():
    assert s.luhn_valid("79927398713")
    assert not s.luhn_valid("79927398710")


def test_the_clabe_check_digit_weighs_3_7_1_and_keeps_the_units():
    # 0·3 3·7 2·1 1·3 8·7 0·1 0·3 0·7 0·1 1·3 1·7 8·1 3·3 5·7 9·1 7·3 1·7, each mod 10:
    # 0+1+2+3+6+0+0+0+0+3+7+8+9+5+9+1+7 = 61 → (10 - 1) % 10 = 9
    assert s.clabe_check_digit("03218000011835971") == "9"


def test_every_placeholder_code_is_itself_valid_so_the_model_learns_real_shapes():
    assert s.curp_check_digit(s.PLACEHOLDER_CURP) == s.PLACEHOLDER_CURP[-1]
    assert s._CURP_SHAPE.fullmatch(s.PLACEHOLDER_CURP)
    assert s.rfc_check_digit(s.PLACEHOLDER_RFC[:-1]) == s.PLACEHOLDER_RFC[-1]
    assert s.rfc_check_digit(s.PLACEHOLDER_COMPANY_RFC[:-1]) == s.PLACEHOLDER_COMPANY_RFC[-1]
    assert s.luhn_valid(s.PLACEHOLDER_NSS)
    assert s.luhn_valid(s.PLACEHOLDER_CARD) and s.luhn_valid(s.PLACEHOLDER_AMEX)
    assert s.clabe_check_digit(s.PLACEHOLDER_CLABE) == s.PLACEHOLDER_CLABE[-1]


# CURP ---------------------------------------------------------------------------------


def test_a_curp_typed_in_lower_case_with_a_wrong_check_digit_is_still_scrubbed():
    result = scrub("mi curp es gode561231hdfrrn09 y no me deja entrar")
    assert result.text == f"mi curp es {s.PLACEHOLDER_CURP} y no me deja entrar"
    (finding,) = result.findings
    assert (finding.kind, finding.verified) == (s.CURP, False)


def test_a_curp_with_its_right_check_digit_is_marked_verified():
    finding = only("CURP: GODE561231HDFRRN00.")
    assert (finding.kind, finding.original, finding.verified) == (
        s.CURP,
        "GODE561231HDFRRN00",
        True,
    )


def test_a_curp_missing_a_character_is_scrubbed_as_an_unverified_curp():
    finding = only("es GODE561231HDFRRN0 creo")
    assert (finding.kind, finding.verified) == (s.CURP, False)


def test_the_rfc_inside_a_curp_is_not_a_second_finding():
    assert kinds("BOXW310820HNERXN09") == [s.CURP]


# RFC ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "rfc", "verified", "replacement"),
    [
        ("para la factura mi RFC es GODE561231GR8", "GODE561231GR8", True, s.PLACEHOLDER_RFC),
        ("rfc gode561231gr9 con homoclave", "gode561231gr9", False, s.PLACEHOLDER_RFC),
        ("la empresa es SAT970701NN3.", "SAT970701NN3", True, s.PLACEHOLDER_COMPANY_RFC),
        ("sin homoclave: GODE561231", "GODE561231", False, s.PLACEHOLDER_RFC),
    ],
)
def test_an_rfc_of_a_person_or_a_company_is_replaced(message, rfc, verified, replacement):
    finding = only(message)
    assert (finding.kind, finding.original) == (s.RFC, rfc)
    assert (finding.verified, finding.replacement) == (verified, replacement)


def test_letters_and_digits_without_a_plausible_date_are_no_rfc():
    assert kinds("el modelo ABCD991332XY1 de la impresora") == []


# Phones -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "scrubbed"),
    [
        ("mi cel es 55 1234 5678", "mi cel es 55 0000 0000"),
        ("llámenme al (33) 1234-5678 por favor", "llámenme al (55) 0000-0000 por favor"),
        ("whats +52 1 55 1234 5678", "whats +52 1 55 0000 0000"),
        ("33.1234.5678", "55.0000.0000"),
        ("al 044 222 123 4567 o", "al 044 550 000 0000 o"),
        ("55 12 34 56 78", "55 00 00 00 00"),
    ],
)
def test_a_mexican_phone_number_keeps_its_shape_and_prefix(message, scrubbed):
    result = scrub(message)
    assert result.text == scrubbed
    assert [f.kind for f in result.findings] == [s.PHONE]


@pytest.mark.parametrize(
    "message",
    [
        "Nací en 1956, en 2024 me jubilé y el trámite cuesta $1,585",
        "ya pagué 1,585 pesos y 1500 pesos de multa, en total 3,255.00",
        "mi cita es el 12/05/2024 a las 10:30 en la colonia Roma, CP 06700",
        "el folio del SAT es 2026-000123 y hay $5,512,345,678 de presupuesto",
    ],
)
def test_years_prices_dates_postal_codes_and_amounts_are_no_phone(message):
    assert scrub(message).text == message


# E-mails ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        "mándenlo a juan.perez_88@hotmail.com",
        "Escríbeme a LUPITA.GZZ@GMAIL.COM.",
        "mi correo es rosa @ hotmail",
    ],
)
def test_an_email_address_becomes_the_placeholder_address(message):
    result = scrub(message)
    assert [f.kind for f in result.findings] == [s.EMAIL]
    assert s.PLACEHOLDER_EMAIL in result.text and result.text.count("@") == 1


def test_an_at_sign_in_inclusive_spanish_or_a_handle_is_no_email():
    message = "hola a tod@s, sigan a @SRE_mx"
    assert scrub(message).text == message


# Folios -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "scrubbed"),
    [
        ("mi folio es CAB-2026-000123", "mi folio es CAB-2026-000000"),
        ("folio cab 2025 4521, ya van 3 días", "folio CAB-2025-000000, ya van 3 días"),
        ("CAB2026000987", "CAB-2026-000000"),
    ],
)
def test_a_folio_of_this_desk_keeps_its_year_and_loses_its_case(message, scrubbed):
    assert scrub(message).text == scrubbed


def test_every_folio_the_desk_recognises_is_scrubbed():
    from desk.models.case import FOLIO_RE

    for folio in ("CAB-2026-000123", "cab-2024-1234567890"):
        assert FOLIO_RE.fullmatch(folio)
        assert kinds(f"folio {folio}") == [s.FOLIO]


# INE ----------------------------------------------------------------------------------


def test_a_clave_de_elector_is_replaced_by_the_placeholder_key():
    result = scrub("mi clave de elector es GODRER56123109H400")
    assert result.text == f"mi clave de elector es {s.PLACEHOLDER_CLAVE_ELECTOR}"
    assert kinds("gdrrer56123109m401") == [s.INE]


@pytest.mark.parametrize(
    "message",
    ["el OCR de mi INE: 1234567890123", "credencial, el cic es 123456789"],
)
def test_the_numbers_on_the_back_of_the_credential_go_when_named(message):
    finding = only(message)
    assert finding.kind == s.INE and set(finding.replacement) == {"0"}


def test_a_year_after_the_word_ine_stays():
    assert scrub("mi INE vence en 2030").findings == ()


# NSS ----------------------------------------------------------------------------------


def test_an_nss_with_a_valid_check_digit_goes_without_being_named():
    # 0123456789 and Luhn's check digit 7.
    finding = only("el número 01234567897 es el mío")
    assert (finding.kind, finding.verified, finding.replacement) == (s.NSS, True, "12345678903")


def test_an_nss_introduced_by_its_name_goes_even_with_a_typo():
    result = scrub("mi numero de seguridad social 1234 5678 901")
    assert result.text == "mi numero de seguridad social 1234 5678 903"
    assert result.findings[0].verified is False


def test_eleven_digits_without_a_check_digit_or_a_name_stay():
    assert scrub("referencia 12345678901").findings == ()


# Cards and CLABE ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "scrubbed", "verified"),
    [
        ("pagué con 5555 5555 5555 4444", "pagué con 4111 1111 1111 1111", True),
        ("mi tarjeta 4152-3138-1234-5678", "mi tarjeta 4111-1111-1111-1111", False),
        ("amex 3714 496353 98431", "amex 3782 822463 10005", True),
    ],
)
def test_a_card_number_keeps_its_grouping(message, scrubbed, verified):
    result = scrub(message)
    assert result.text == scrubbed
    assert [(f.kind, f.verified) for f in result.findings] == [(s.CARD, verified)]


def test_sixteen_digits_that_fail_luhn_and_are_not_called_a_card_stay():
    assert scrub("código 4152 3138 1234 5678").findings == ()


def test_a_clabe_goes_by_its_check_digit_or_by_its_name():
    assert only("032180000118359719").kind == s.CLABE
    typo = only("mi cuenta clabe 032180000118359710")
    assert (typo.kind, typo.verified) == (s.CLABE, False)
    assert scrub("032180000118359710").findings == ()


def test_an_email_made_of_a_phone_number_is_one_email():
    assert kinds("escribí a 5512345678@hotmail.com") == [s.EMAIL]


# Names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "name", "replacement"),
    [
        (
            "Hola, me llamo Rocío Méndez Aguilar y necesito mi acta",
            "Rocío Méndez Aguilar",
            "María López Hernández",
        ),
        ("me llamo arturo ramirez y quiero sacar mi pasaporte", "arturo ramirez", "juan perez"),
        ("Soy Guadalupe Ortiz, de Puebla", "Guadalupe Ortiz", "María López"),
        ("mi nombre es maria elena y no aparece", "maria elena", "maria lopez"),
        ("mi hija se llama Ximena y no tiene CURP", "Ximena", "María"),
        ("mi papá que ya murió se llama Refugio Salas", "Refugio Salas", "Juan Pérez"),
        ("Nombre: María de la Luz Hernández", "María de la Luz Hernández", "María López Hernández"),
        ("My name is Kevin Torres", "Kevin Torres", "Juan Pérez"),
        ("el trámite está a nombre de Jorge Castañeda", "Jorge Castañeda", "Juan Pérez"),
        ("SOY ROSA MARTINEZ Y NECESITO CITA", "ROSA MARTINEZ", "MARIA LOPEZ"),
    ],
)
def test_a_name_the_citizen_gave_becomes_a_placeholder_of_as_many_words(message, name, replacement):
    finding = only(message)
    assert (finding.kind, finding.original, finding.replacement) == (s.NAME, name, replacement)


@pytest.mark.parametrize(
    "message",
    [
        "soy adulto mayor y quiero la pensión del bienestar",
        "Soy estudiante y soy de Oaxaca",
        "soy mamá soltera, soy la que pregunto lo del pasaporte",
        "Soy Pensionado del IMSS y mi nombre es incorrecto en la CURP",
        "me llamó un asesor ayer: el trámite se llama Llave MX",
        "¿Dónde imprimo mi CURP certificada?",
    ],
)
def test_what_the_citizen_is_or_does_is_no_name(message):
    assert scrub(message).text == message


def test_a_name_said_again_later_goes_too_but_not_the_same_word_in_lower_case():
    message = "Soy Rosa Méndez. Pregunten por Rosa, traigo una rosa"
    assert scrub(message).text == "Soy María López. Pregunten por María, traigo una rosa"


# Previews and corrections -------------------------------------------------------------

MESSAGE = (
    "Buenas tardes, me llamo Rocío Méndez, mi curp es MEAR850214MJCNGC07 y mi cel "
    "33 1234 5678; escríbanme a rocio.mendez@gmail.com sobre el folio CAB-2026-000123"
)


def test_a_realistic_message_loses_every_personal_detail_and_nothing_else():
    assert scrub(MESSAGE).text == (
        "Buenas tardes, me llamo María López, mi curp es PEGJ800101HDFRRN03 y mi cel "
        "55 0000 0000; escríbanme a correo@ejemplo.com sobre el folio CAB-2026-000000"
    )


def test_every_finding_points_at_its_original_text():
    findings = scrub(MESSAGE).findings
    assert [f.kind for f in findings] == [s.NAME, s.CURP, s.PHONE, s.EMAIL, s.FOLIO]
    assert all(MESSAGE[f.start : f.end] == f.original for f in findings)


def test_undoing_one_finding_gives_that_original_back():
    result = scrub(MESSAGE)
    folio = next(f for f in result.findings if f.kind == s.FOLIO)
    undone = apply(MESSAGE, [f for f in result.findings if f is not folio])
    assert undone == result.text.replace("CAB-2026-000000", "CAB-2026-000123")
    assert apply(MESSAGE, []) == MESSAGE


def test_a_name_the_scrubber_missed_can_be_marked_by_the_trainer():
    message = "gracias, atentamente Xóchitl Cruz"
    start = message.index("Xóchitl")
    added = mark(message, start, len(message))
    assert (added.kind, added.replacement) == (s.NAME, "María López")
    assert apply(message, [added]) == "gracias, atentamente María López"


def test_a_phone_marked_by_hand_keeps_its_shape():
    message = "marcar al 55-1234-567"
    added = mark(message, 10, len(message), s.PHONE)
    assert added.replacement == "55-0000-000"


def test_marking_nothing_or_an_unknown_kind_is_refused():
    for start, end, kind in [(0, 0, s.NAME), (3, 99, s.NAME), (0, 3, "passport")]:
        with pytest.raises(ValueError):
            mark("hola", start, end, kind)


def test_apply_refuses_findings_of_another_text_or_that_overlap():
    finding = scrub("mi cel 5512345678").findings[0]
    with pytest.raises(ValueError, match="not at"):
        apply("mi cel 3312345678", [finding])
    with pytest.raises(ValueError, match="overlap"):
        apply("mi cel 5512345678", [finding, finding])


def test_the_preview_segments_rebuild_the_original_and_show_each_finding():
    result = scrub(MESSAGE)
    pieces = segments(MESSAGE, result.findings)
    assert "".join(text for text, _ in pieces) == MESSAGE
    assert [f for _, f in pieces if f is not None] == list(result.findings)


def test_a_message_without_personal_data_is_left_as_it_is():
    message = "¿Qué necesito para el pasaporte? ¿Y la Llave MX? Mi CURP ya la tengo, gracias."
    assert scrub(message) == s.Scrubbed(message, ())


def test_the_same_message_always_scrubs_to_the_same_example():
    assert scrub(MESSAGE) == scrub(MESSAGE)
