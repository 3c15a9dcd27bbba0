"""Rate limits per chat and flood handling.

A sliding window per chat: beyond ``max_updates`` in ``window_seconds`` the bot ignores
the chat's updates and says so once per window. Kept in memory per bot process: it
protects the process (and the engine behind it) from one noisy chat; a limit shared by
several bot processes would need the database and is not needed with one polling bot.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class Verdict(StrEnum):
    ALLOW = "allow"
    WARN = "warn"
    """Over the limit for the first time in this window: tell the person once, do nothing else."""
    DROP = "drop"


@dataclass
class ChatRateLimiter:
    max_updates: int = 20
    window_seconds: float = 10.0
    max_chats: int = 100_000
    """Forget the least recently seen chats beyond this many (bounded memory under attack)."""
    monotonic: Callable[[], float] = time.monotonic
    _seen: dict[int, deque[float]] = field(default_factory=dict, repr=False)
    _warned_until: dict[int, float] = field(default_factory=dict, repr=False)

    def check(self, chat_id: int) -> Verdict:
        now = self.monotonic()
        stamps = self._seen.pop(chat_id, None)
        if stamps is None:
            stamps = deque()
            if len(self._seen) >= self.max_chats:
                oldest = next(iter(self._seen))
                del self._seen[oldest]
                self._warned_until.pop(oldest, None)
        self._seen[chat_id] = stamps  # re-inserted: dict order is least recently seen first
        while stamps and stamps[0] <= now - self.window_seconds:
            stamps.popleft()
        if len(stamps) < self.max_updates:
            stamps.append(now)
            return Verdict.ALLOW
        if self._warned_until.get(chat_id, 0.0) > now:
            return Verdict.DROP
        self._warned_until[chat_id] = now + self.window_seconds
        return Verdict.WARN
