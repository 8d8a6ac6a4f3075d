"""WhatsApp's text formatting turned into HTML, for previews that look like the citizen's phone.
The same rules as broadcasts/static/broadcasts/preview.js, which does it live in the admin."""

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# *bold*, _italic_, ~strikethrough~, ```monospace```: the marker must hug the words.
_RULES = [
    (re.compile(r"```(.+?)```", re.S), r"<code>\1</code>"),
    (re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![\w_])_(?!\s)([^_\n]+?)(?<!\s)_(?![\w_])"), r"<em>\1</em>"),
    (re.compile(r"(?<![\w~])~(?!\s)([^~\n]+?)(?<!\s)~(?![\w~])"), r"<s>\1</s>"),
]


def whatsapp_to_html(text: str) -> SafeString:
    html = str(escape(text))
    for pattern, replacement in _RULES:
        html = pattern.sub(replacement, html)
    return mark_safe(html.replace("\n", "<br>"))  # noqa: S308 (escaped above)
