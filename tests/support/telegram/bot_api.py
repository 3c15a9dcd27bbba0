"""Re-export: the Bot API stand-in lives in :mod:`rightsdesk.demo_kit.bot_api` (the demo serves its chat page)."""

from __future__ import annotations

from rightsdesk.demo_kit.bot_api import BOT_USER, Call, ChatEntry, FakeBotApi

__all__ = ["BOT_USER", "Call", "ChatEntry", "FakeBotApi"]
