"""Which figures of a new text no source backs (the rule trainers read in docs/content.md)."""

from __future__ import annotations

from desk.content.figures import unsourced

OLD = "Tarifas 2026: 3 años $1,795, 10 años $4,280. 50% de descuento."


def test_a_figure_already_in_the_text_is_known_however_it_is_written():
    new = "Tarifas 2026: 3 años $1795.00, 10 años 4,280 pesos. Descuento de 50 %."

    assert unsourced([new], [OLD]) == []


def test_new_amounts_percentages_day_counts_and_long_numbers_are_flagged_as_written():
    new = "Cuesta $5 o USD 40, con 30% menos; tarda 5 días hábiles o 3 days; llama al 079."

    assert unsourced([new], [OLD]) == ["$5", "USD 40", "30%", "5 días", "3 days", "079"]


def test_single_digits_and_numbers_inside_codes_are_not_figures():
    new = "Paso 1, luego el formato OP7 en gob.mx/x2 (3 años)."

    assert unsourced([new], [OLD]) == []


def test_a_figure_is_known_from_either_language_and_from_the_added_source():
    flagged = unsourced(
        ["Tarifa 2027: $4,999", "2027 fee: $4,999; 45 days"],
        ["1 year $920", "dof 2027-01-02"],
    )

    assert flagged == ["$4,999", "45 days"]


def test_each_figure_is_flagged_once():
    assert unsourced(["$4,999", "$4,999.00 (MXN)"], []) == ["$4,999"]
