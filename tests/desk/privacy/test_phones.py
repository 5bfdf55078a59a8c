"""The number a supervisor types finds the citizen however Twilio stored it."""

from __future__ import annotations

import pytest

from desk.privacy.phones import InvalidPhone, digest, normalize, same_number, variants


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("5512345678", "+525512345678"),
        ("55 1234 5678", "+525512345678"),
        ("55-1234-5678", "+525512345678"),
        ("(55) 1234.5678", "+525512345678"),
        ("+52 55 1234 5678", "+525512345678"),
        ("+52 1 55 1234 5678", "+5215512345678"),
        ("525512345678", "+525512345678"),
        ("0052 55 1234 5678", "+525512345678"),
        ("whatsapp:+5215512345678", "+5215512345678"),
        ("+1 415 555 0100", "+14155550100"),
    ],
)
def test_what_a_supervisor_types_becomes_one_number(typed, normalized):
    assert normalize(typed) == normalized


@pytest.mark.parametrize("typed", ["", "   ", "hola", "55 1234", "12345678901234567", "123456789"])
def test_what_is_no_phone_number_is_refused_with_a_message(typed):
    with pytest.raises(InvalidPhone, match="número"):
        normalize(typed)


def test_a_mexican_mobile_is_found_with_and_without_the_1():
    assert variants("+525512345678") == ["+525512345678", "+5215512345678"]
    assert variants("+5215512345678") == ["+525512345678", "+5215512345678"]
    assert same_number("+525512345678", "+5215512345678")
    assert not same_number("+525512345678", "+525512345679")


def test_other_countries_match_exactly():
    assert variants("+14155550100") == ["+14155550100"]


def test_the_audit_hash_is_the_same_for_both_forms_and_keyed_by_the_secret():
    whatsapp, sms = digest("+5215512345678", "k1"), digest("+525512345678", "k1")

    assert whatsapp == sms
    assert digest("+525512345678", "k2") != sms  # unguessable without the desk's key
    assert digest("+525587654321", "k1") != sms
    assert "5512345678" not in sms
