"""SMS segments as Twilio bills them: GSM-7 160/153, UCS-2 70/67; the composer's
counter (desk/static/composer.js) says exactly what window.sms_segments says."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

import desk
from desk.replies.window import GSM_BASIC, GSM_EXTENDED, Segments, sms_segments

COMPOSER_JS = Path(desk.__file__).parent / "static" / "composer.js"


@pytest.mark.parametrize(
    "text, encoding, units, count",
    [
        ("", "GSM-7", 0, 0),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),  # 2 × 153
        ("a" * 307, "GSM-7", 307, 3),
        ("ñ¿¡éü" * 32, "GSM-7", 160, 1),  # Spanish letters that are in GSM-7
        ("á" * 70, "UCS-2", 70, 1),
        ("á" * 71, "UCS-2", 71, 2),
        ("á" * 134, "UCS-2", 134, 2),  # 2 × 67
        ("á" * 135, "UCS-2", 135, 3),
        ("€" * 80, "GSM-7", 160, 1),  # an extension character counts two
        ("€" * 81, "GSM-7", 162, 2),
        ("{}[]~|^\\" * 10, "GSM-7", 160, 1),
        ("😀" * 35, "UCS-2", 70, 1),  # outside the BMP: a surrogate pair, two units
        ("😀" * 36, "UCS-2", 72, 2),
    ],
)
def test_segments_follow_gsm7_and_ucs2(text, encoding, units, count):
    segments = sms_segments(text)

    assert (segments.encoding, segments.units, segments.count) == (encoding, units, count)


def test_one_accented_a_turns_a_whole_gsm_message_into_ucs2():
    gsm = sms_segments("Tu trámite".replace("á", "a") + " x" * 70)
    ucs2 = sms_segments("Tu trámite" + " x" * 70)

    assert (gsm.encoding, gsm.count) == ("GSM-7", 1)
    assert (ucs2.encoding, ucs2.count) == ("UCS-2", 3)  # 150 characters at 70/67


def test_the_euro_sign_counts_two_septets():
    assert sms_segments("€").units == 2
    assert sms_segments("a" * 158 + "€").count == 1
    assert sms_segments("a" * 159 + "€").count == 2


def test_an_extension_character_never_straddles_two_segments():
    # 152 septets, then "€" (2) would end at 154 > 153: it opens the second segment.
    segments = sms_segments("a" * 152 + "€" + "a" * 10)

    assert segments.units == 164
    assert (segments.count, segments.remaining) == (2, 153 - 12)


def test_an_emoji_never_straddles_two_segments():
    segments = sms_segments("á" * 66 + "😀" + "á" * 4)

    assert (segments.units, segments.count, segments.remaining) == (72, 2, 67 - 6)


def test_what_is_left_in_the_last_segment():
    assert sms_segments("hola").remaining == 156
    assert sms_segments("a" * 200).remaining == 153 * 2 - 200
    assert sms_segments("hólá").remaining == 66


def test_the_escape_code_itself_is_not_a_character_anyone_can_type():
    assert "\x1b" not in GSM_BASIC | GSM_EXTENDED
    assert sms_segments("\x1b").encoding == "UCS-2"


# The same strings through composer.js's port, with node (the JS is a straight port of
# sms_segments; this keeps them from drifting apart).
SAMPLES = [
    "",
    "hola",
    "a" * 160,
    "a" * 161,
    "a" * 307,
    "á" * 70,
    "á" * 71,
    "á" * 135,
    "€" * 80,
    "€" * 81,
    "a" * 152 + "€" + "a" * 10,
    "á" * 66 + "😀" + "á" * 4,
    "😀" * 36,
    "Hola María,\r\ntu folio es CAB-2026-000123. {Gracias} ~ | ^ [ ] \\",
    "ñÑ¿¡ÄÖÜäöüàèéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ§¤£¥@$",
    "Çç",  # ç is not in GSM 03.38: only Ç is
    "\f" * 3,
]


def run_node(script: str) -> object:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("node is not installed; the JS counter is checked in a browser only")
    done = subprocess.run(
        [node, "-e", script], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_composer_js_counts_exactly_like_the_server():
    script = (
        f"const c = require({json.dumps(str(COMPOSER_JS))});"
        f"const samples = {json.dumps(SAMPLES)};"
        "process.stdout.write(JSON.stringify(samples.map(c.smsSegments)));"
    )

    from_js = run_node(script)

    assert [Segments(**found) for found in from_js] == [sms_segments(s) for s in SAMPLES]


def test_composer_js_has_the_same_gsm_tables():
    script = (
        f"const c = require({json.dumps(str(COMPOSER_JS))});"
        "process.stdout.write(JSON.stringify([[...c.GSM_BASIC], [...c.GSM_EXTENDED]]));"
    )

    basic, extended = run_node(script)

    assert (set(basic), set(extended)) == (set(GSM_BASIC), set(GSM_EXTENDED))
