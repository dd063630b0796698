"""The recorded conversation drawn as a chat page (the README's bot pictures)."""

from __future__ import annotations

from honestcount.frontdoor.chat_picture import chat_html


def test_a_recorded_conversation_becomes_bubbles_and_buttons():
    page = chat_html(
        [
            ("user", "/start"),
            ("bot", "Choose <b>a</b> language\n⌨ [Беларуская] [Русский] [English]"),
            ("user", "[contact card +375 29 555 01 23]"),
            ("user", "[photo]"),
        ],
        title="bot",
        note="drawn from a recording",
        lang="be",
        photo="data:image/jpeg;base64,AAAA",
    )
    assert '<html lang="be">' in page and "drawn from a recording" in page
    assert page.count('class="m user"') == 3 and page.count('class="m bot"') == 1
    assert "&lt;b&gt;a&lt;/b&gt;" in page and "<b>a</b>" not in page  # text is escaped
    assert "<span>Беларуская</span><span>Русский</span><span>English</span>" in page
    assert "☎ +375 29 555 01 23" in page and "contact card" not in page
    assert '<img src="data:image/jpeg;base64,AAAA"' in page
    plain = chat_html([("user", "[photo]")], title="t", note="n", lang="en")
    assert "<img src" not in plain and '<span class="card">photo</span>' in plain
