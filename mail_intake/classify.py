"""What a free-text e-mail asks for, and in which language it is written.

A request needs no particular form (Art. 12(2); docs/law.md §Channels; EDPB 01/2022 ¶¶50-52): people
write "dzēsiet manus datus", "please stop the SMS" or "прошу удалить мои данные", and
each of these is a rights request. The phrase lists follow the wording of GDPR Chapter
III and of the seed privacy policies ("pabeigt, labot vai dzēst", "ierobežot apstrādes
procesu", "iebilst pret apstrādi", "datu pārnesamību", "atsaukt piekrišanu").

The rights are read by :func:`workflows.domain.rights_in_text.detect_rights` (Latvian on
*stems* of text folded to ASCII, so inflections and text typed without diacritics match),
the same reading that binds a signed text to the rights it asks for; ``detect_rights`` and
``fold`` stay importable from here.

**When no right is recognised** the message is still a request to the privacy address
and is never discarded: :attr:`Classification.rights` is ``{ACCESS}`` (Art. 15 is the
baseline every question about one's data contains) and :attr:`recognised` is False, so
the job flags the case for staff ("rights not recognised") — the clock runs from
receipt either way (Art. 12(3)).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workflows.domain.rights import Language, Right
from workflows.domain.rights_in_text import detect_rights, fold, matches_any, patterns

__all__ = [
    "PERSONAL_CODE", "Classification", "classify", "detect_language", "detect_rights", "find_personal_code",
    "fold", "marketing_channels",
]

_LV_DIACRITICS = frozenset("āčēģīķļņšūžĀČĒĢĪĶĻŅŠŪŽ")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-zA-Z\u00c0-\u024f]")
_WORD = re.compile(r"[^\W\d_]+")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Common words of each language, as folded (diacritics removed): a Latvian writing without
# diacritics ("ludzu izdzest manus datus") is still recognised as Latvian.
_LV_WORDS = _words(
    "labdien sveiki ludzu paldies mani manus manu mana savus manis es un vai ar par ka ir no lai "
    "dati datus datu datiem personas velos pieprasu pieprasijums pieprasijumu cienijamie "
    "cienu jusu jus nav ari tiesibas ludzam"
)
_EN_WORDS = _words(
    "hello hi dear please thank thanks my me i the and would like request data personal of to you your "
    "is are this that with from regards sincerely delete copy want"
)
PERSONAL_CODE = re.compile(r"(?<![\d-])(\d{6})-(\d{5})(?![\d-])")
_ABOUT_DATA = patterns(
    r"\b(personas|mani|manus|manu|savus|savi) dat",
    r"\bvdar\b",
    r"\bgdpr\b",
    r"\bmy (\w+ )?data\b",
    r"\bpersonal data\b",
    r"\bперсональн",
    r"\bмо(и|их|ими) (\w+ )?данн",
)
_CHANNEL_EMAIL = patterns(r"\be-?past", r"\be-?mail", r"\bnewsletter", r"\bjaunum", r"\bрассылк", r"\bпочт")
_CHANNEL_SMS = patterns(r"\bsms\b", r"\biszin", r"\bсмс\b", r"\btext messages?\b")


@dataclass(frozen=True)
class Classification:
    language: Language
    rights: frozenset[Right]
    recognised: bool
    """False when no phrase matched and ACCESS is only the default (staff are told)."""
    personal_code: str | None
    """A personal code written in the text: a *claimed* identifier, never proof (docs/law.md §Identity)."""
    marketing_channels: frozenset[str]
    """"email" / "sms" named in a marketing objection (empty: all channels)."""


def detect_language(text: str) -> Language:
    """lv, en or ru. Russian only when the person writes Russian; otherwise Latvian unless
    the text is clearly English (Official Language Law: Latvian is always acceptable)."""
    cyrillic = len(_CYRILLIC.findall(text))
    latin = len(_LATIN.findall(text))
    if cyrillic > latin:
        return Language.RU
    words = _WORD.findall(fold(text))
    lv_score = sum(w in _LV_WORDS for w in words) + sum(ch in _LV_DIACRITICS for ch in text) / 3
    en_score = sum(w in _EN_WORDS for w in words)
    return Language.EN if en_score > lv_score else Language.LV


def find_personal_code(text: str) -> str | None:
    match = PERSONAL_CODE.search(text)
    return f"{match.group(1)}-{match.group(2)}" if match else None


def marketing_channels(text: str) -> frozenset[str]:
    folded = fold(text)
    channels = set()
    if matches_any(_CHANNEL_EMAIL, folded):
        channels.add("email")
    if matches_any(_CHANNEL_SMS, folded):
        channels.add("sms")
    return frozenset(channels)


def classify(subject: str, text: str) -> Classification:
    """Language, rights and claimed identifiers of a message; see the module docstring."""
    whole = f"{subject}\n{text}"
    rights = detect_rights(whole)
    recognised = bool(rights) or matches_any(_ABOUT_DATA, fold(whole))
    asked = rights or frozenset({Right.ACCESS})
    objection = Right.MARKETING_OBJECTION in asked
    return Classification(
        language=detect_language(text if text.strip() else subject),
        rights=asked,
        recognised=recognised,
        personal_code=find_personal_code(whole),
        marketing_channels=marketing_channels(whole) if objection else frozenset(),
    )
