"""A recorded bot conversation drawn as a phone chat (one self-contained HTML page).

The README's picture of the bot is made from what the fake Bot API recorded while the real
bot talked to a real intake (:attr:`~.fake_telegram.FakeTelegram.log`), not from the
Telegram app: the page says so in its header. Messages from the user are on the right, the
bot's on the left with its keyboard's buttons under them.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

KEYBOARD = "\n⌨ "  # how the fake Bot API writes a message's keyboard into its log
CONTACT = "[contact card "  # and a shared contact card

STYLE = """
*{box-sizing:border-box}body{margin:0;font:15px/1.35 system-ui,sans-serif;background:#dfe7ee}
header{position:sticky;top:0;background:#2f6ea5;color:#fff;padding:10px 14px}
header b{display:block;font-size:17px}header small{opacity:.85}
main{padding:10px 10px 16px;display:flex;flex-direction:column;gap:6px}
.m{max-width:82%;padding:7px 10px;border-radius:12px;white-space:pre-wrap;
overflow-wrap:anywhere;box-shadow:0 1px 1px #0002}
.bot{align-self:flex-start;background:#fff;border-bottom-left-radius:4px}
.user{align-self:flex-end;background:#e1f7c7;border-bottom-right-radius:4px}
.keys{align-self:flex-start;display:flex;flex-wrap:wrap;gap:4px;max-width:92%}
.keys span{background:#ffffffb0;border:1px solid #9fb6c9;border-radius:8px;padding:4px 8px;
font-size:13px;color:#1d4e7a}
.card{font-style:italic;color:#335}.m img{display:block;width:150px;border-radius:8px}
"""


def _bubble(who: str, message: str, photo: str | None) -> str:
    text, _, keys = message.partition(KEYBOARD)
    shown = html.escape(text)
    if who == "user" and text == "[photo]" and photo is not None:
        shown = f'<img src="{html.escape(photo)}" alt="">'
    elif who == "user" and text.startswith(CONTACT) and text.endswith("]"):
        shown = f'<span class="card">☎ {html.escape(text[len(CONTACT) : -1])}</span>'
    elif who == "user" and text.startswith("[") and text.endswith("]"):
        shown = f'<span class="card">{html.escape(text[1:-1])}</span>'
    out = f'<div class="m {"user" if who == "user" else "bot"}">{shown}</div>'
    if keys:
        labels = [k.strip("[]") for k in keys.split("] [")]
        out += '<div class="keys">' + "".join(f"<span>{html.escape(k)}</span>" for k in labels)
        out += "</div>"
    return out


def chat_html(
    messages: Iterable[tuple[str, str]],
    *,
    title: str,
    note: str,
    lang: str,
    photo: str | None = None,
) -> str:
    """The page: ``messages`` as (``"user"`` or ``"bot"``, text) in order; ``note`` says
    where the picture comes from; ``photo`` (a data: URL) is drawn for a photo sent."""
    body = "\n".join(_bubble(who, text, photo) for who, text in messages)
    return (
        f'<!doctype html><html lang="{html.escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<header><b>{html.escape(title)}</b><small>{html.escape(note)}</small></header>"
        f"<main>{body}</main></body></html>"
    )
