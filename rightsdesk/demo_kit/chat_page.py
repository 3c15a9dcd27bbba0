"""The browser chat page of the Bot API stand-in (:mod:`.bot_api`): one Telegram user in one chat.

The page (``chat_page.html`` next to this module) is self-contained: inline style and script,
no external assets, no build step. Its script and style run under a per-response nonce; the
Content-Security-Policy allows nothing else, and the script shows bot text with ``textContent``
only (links become anchor elements, http and https only).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

NONCE_PLACEHOLDER = "__CSP_NONCE__"


@cache
def _template() -> str:
    return resources.files(__package__).joinpath("chat_page.html").read_text(encoding="utf-8")


def render(nonce: str) -> str:
    """The page with ``nonce`` on its inline ``<script>`` and ``<style>``."""
    return _template().replace(NONCE_PLACEHOLDER, nonce)


def content_security_policy(nonce: str) -> str:
    """Only the page's own nonced script and style, fetch to the same origin, no frames, no forms."""
    return (
        "default-src 'none'; "
        f"script-src 'nonce-{nonce}'; "
        f"style-src 'nonce-{nonce}'; "
        "connect-src 'self'; "
        "img-src 'self' data:; "
        "base-uri 'none'; "
        "form-action 'none'; "
        "frame-ancestors 'none'"
    )
