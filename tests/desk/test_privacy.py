"""The aviso de privacidad the assistant links to is public."""


def test_the_privacy_notice_is_public_and_bilingual(client):
    page = client.get("/privacidad")

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Aviso de privacidad" in text and "Privacy notice" in text
    assert "BAJA" in text and "START" in text
