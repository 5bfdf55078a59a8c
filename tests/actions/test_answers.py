"""Fitting answers to the phone: SMS segments and Twilio's limit."""

from __future__ import annotations

import pytest

from actions.answers import Answer, for_channel, sms_segments


@pytest.mark.parametrize(
    "text, segments",
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),  # GSM-7: 160, then 153
        ("ñ¿¡é" * 40, 1),  # all in GSM-7
        ("á" * 70, 1),
        ("á" * 71, 2),
        ("á" * 134, 2),
        ("á" * 135, 3),  # UCS-2: 70, then 67
        ("{" * 80, 1),
        ("{" * 81, 2),  # extension characters count double
    ],
)
def test_segments_follow_gsm7_and_ucs2(text, segments):
    assert sms_segments(text) == segments


def test_a_short_answer_is_one_message_on_both_channels():
    reply = Answer(["Gratuito."], "Sitio oficial: https://www.gob.mx/curp")

    assert (
        for_channel(reply, "sms")
        == for_channel(reply, "whatsapp")
        == ["Gratuito.\n\nSitio oficial: https://www.gob.mx/curp"]
    )


def test_a_long_sms_answer_is_cut_at_a_sentence_and_keeps_the_link():
    reply = Answer(
        [
            "Primera oración con acentos: más información aquí. " * 1
            + "Segunda oración también larga para llenar el espacio disponible. "
            + "Tercera oración que ya no cabe en tres segmentos de SMS, seguro."
        ],
        "Confírmalo en el sitio oficial: https://www.gob.mx/x",
    )

    [message] = for_channel(reply, "sms")

    assert sms_segments(message) <= 3
    assert message.endswith("…\n\nConfírmalo en el sitio oficial: https://www.gob.mx/x")
    assert "Tercera" not in message


def test_whatsapp_keeps_everything_and_splits_only_past_twilios_limit():
    reply = Answer(["a" * 1000, "b" * 1000], "link")

    messages = for_channel(reply, "whatsapp")

    assert messages == ["a" * 1000, "b" * 1000 + "\n\nlink"]
