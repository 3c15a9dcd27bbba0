"""Free text in the chat to the rights it asks for, and contact details typed by the person.

A small phrase matcher of its own: the channels never import each other (docs/architecture.md),
so the e-mail classifier is not reused. A request needs no particular form (EDPB 01/2022
¶¶52-53): when nothing matches, the bot asks with buttons instead of refusing.
"""

from __future__ import annotations

import re

from workflows.domain.rights import Right

# Word stems in Latvian, English and Russian, lower case. Order matters only for readability.
_STEMS: dict[Right, tuple[str, ...]] = {
    Right.MARKETING_OBJECTION: (
        "reklām",
        "mārketing",
        "marketing",
        "newsletter",
        "jaunumu",
        "spam",
        "stop sms",
        "unsubscribe",
        "реклам",
        "рассылк",
        "маркетинг",
        "отписа",
    ),
    Right.CONSENT_WITHDRAWAL: ("piekrišan", "atsauc", "consent", "согласи"),
    Right.ERASURE: ("dzēs", "izdzēs", "erase", "delete", "remove my", "forget", "удал", "стере", "забуд"),
    Right.RECTIFICATION: (
        "labo",
        "izlabo",
        "nepareiz",
        "correct",
        "rectif",
        "wrong",
        "update my",
        "исправ",
        "невер",
        "ошибк",
    ),
    Right.PORTABILITY: ("pārnes", "pārnest", "portab", "export", "machine-readable", "перенос", "переда"),
    Right.RESTRICTION: ("ierobežo", "restrict", "огранич"),
    Right.OBJECTION: ("iebilst", "iebild", "object", "возраж"),
    Right.ACCESS: (
        "piekļuv",
        "kopij",
        "kādus datus",
        "kas jums",
        "access",
        "copy",
        "what data",
        "which data",
        "see my data",
        "доступ",
        "копи",
        "какие данные",
    ),
}

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{6,18}[0-9]$")


def match_rights(message: str) -> frozenset[Right]:
    """The rights a free-text message asks for; empty when nothing is recognised."""
    lowered = " ".join(message.lower().split())
    found = {right for right, stems in _STEMS.items() if any(stem in lowered for stem in stems)}
    # "Stop marketing" is the marketing objection (Art. 21(2)), not the general one (Art. 21(1)).
    if Right.MARKETING_OBJECTION in found:
        found.discard(Right.OBJECTION)
    # Withdrawing consent to marketing is the same act as objecting to it; keep both,
    # the engine treats both as applying without review (Art. 7(3), 21(3)).
    return frozenset(found)


def parse_contact(value: str) -> tuple[str, str] | None:
    """("email", address) or ("phone", digits) for what the person typed, else None."""
    cleaned = value.strip()
    if _EMAIL.match(cleaned):
        return "email", cleaned.lower()
    if _PHONE.match(cleaned):
        digits = re.sub(r"[^0-9+]", "", cleaned)
        return "phone", digits
    return None
