"""The one-line embed code for a web chat channel, shown on the channel's panel page."""

from __future__ import annotations

from html import escape


def snippet(base_url: str, channel_id: str) -> str:
    """`<script … data-channel="…" async></script>` for pasting into any site's HTML."""
    src = f"{base_url.rstrip('/')}/widget.js"
    return f'<script src="{escape(src)}" data-channel="{escape(channel_id)}" async></script>'


def frame_url(base_url: str, channel_id: str) -> str:
    """The chat page itself, for sites that place their own iframe or link to it."""
    from urllib.parse import quote

    return f"{base_url.rstrip('/')}/frame?channel={quote(channel_id, safe='')}"
