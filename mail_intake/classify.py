"""What a free-text e-mail asks for, and in which language it is written.

A request needs no particular form (LAW.md §Channels; EDPB 01/2022 ¶¶50-52): people
write "dzēsiet manus datus", "please stop the SMS" or "прошу удалить мои данные", and
each of these is a rights request. The phrase lists follow the wording of GDPR Chapter
III and of the seed privacy policies ("pabeigt, labot vai dzēst", "ierobežot apstrādes
procesu", "iebilst pret apstrādi", "datu pārnesamību", "atsaukt piekrišanu").

Latvian is matched on *stems* of text folded to ASCII (ā->a, š->s …), so inflections
("dzēst", "dzēšanu", "izdzēsiet") and text typed without diacritics both match.

**When no right is recognised** the message is still a request to the privacy address
and is never discarded: :attr:`Classification.rights` is ``{ACCESS}`` (Art. 15 is the
baseline every question about one's data contains) and :attr:`recognised` is False, so
the job flags the case for staff ("rights not recognised") — the clock runs from
receipt either way (Art. 12(3)).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from workflows.domain.rights import Language, Right

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


def fold(text: str) -> str:
    """Lower case without diacritics (Latvian ā->a, š->s …); Cyrillic is kept as it is."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _patterns(*expressions: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(e) for e in expressions)


# Each pattern runs on folded text. Word starts are anchored with \b so that stems do not
# match inside unrelated words ("labo" must not match "laboratorija": see the suffixes).
_ACCESS = _patterns(
    r"\bpieklu(v|t|s)",
    r"\bkad(us|i|u) (\w+ ){0,2}dat",
    r"\bizsnie\w* (\w+ ){0,3}dat",
    r"\bkopij\w* (\w+ ){0,3}dat",
    r"\baccess\b",
    r"\bcopy of (\w+ ){0,3}data\b",
    r"\bwhat (\w+ ){0,2}data\b",
    r"\bsubject access\b",
    r"\bдоступ",
    r"\bкопи\w* (\w+ ){0,3}данн",
    r"\bкакие (\w+ ){0,2}данн",
    r"\bпредостав\w* (\w+ ){0,3}данн",
)
_ERASURE = _patterns(
    r"\b(iz)?dzes",
    r"\baizmirst",
    r"\bdelet",
    r"\beras",
    r"\bforgotten\b",
    r"\bremove (\w+ ){0,2}(data|account)",
    r"\bудал",
    r"\bстере",
    r"\bзабвени",
)
_RECTIFICATION = _patterns(
    r"\b(iz)?labo(t|sana|sanu|jiet|jums|jumu|siet)\b",
    r"\bpabeigt\b",
    r"\bpapildin",
    r"\bcorrect\b",
    r"\bcorrection\b",
    r"\brectif",
    r"\bupdate my (address|name|phone|e-?mail)",
    r"\bисправ",
    r"\bуточн",
)
_RESTRICTION = _patterns(r"\bierobez", r"\brestrict", r"\bогранич")
_OBJECTION = _patterns(r"\biebil(st|dum|de|du)", r"\bobject(ion|ing|s)?\b", r"\bвозраж")
_PORTABILITY = _patterns(
    r"\bparnes(amib|t)",
    r"\bportab",
    r"\bmachine.readable\b",
    r"\btransfer my data\b",
    r"\bпереносим",
    r"\bперен(ести|ос)\w* (\w+ ){0,2}данн",
)
_CONSENT = _patterns(
    r"\batsauk\w* (\w+ ){0,2}piekrisan",
    r"\batsaucu (\w+ ){0,2}piekrisan",
    r"\b(withdraw|revoke)\w* (\w+ ){0,2}consent",
    r"\bотоз\w* (\w+ ){0,2}согласи",
)
_MARKETING_STOP = _patterns(
    r"\bnesut\w* (\w+ ){0,3}(reklam|jaunum|zin|sms|vestul)",
    r"\batteik\w* no (\w+ ){0,2}(jaunum|reklam|zin|sms)",
    r"\batrakstit",
    r"\bunsubscrib",
    r"\bstop (\w+ ){0,2}(marketing|sending|sms|emails?|newsletters?)\b",
    r"\bopt.out\b",
    r"\bno more (\w+ ){0,1}(emails?|sms|newsletters?|marketing)\b",
    r"\bотписа",
    r"\bне (при|по)сыла",
    r"\bпрекрат\w* (\w+ ){0,2}(рассылк|реклам|смс)",
)
_MARKETING_CONTEXT = _patterns(
    r"\breklam",
    r"\bjaunum",
    r"\bmarketing",
    r"\bmarketing",
    r"\bnewsletter",
    r"\bsms\b",
    r"\bisziņ|\biszin",
    r"\bреклам",
    r"\bрассылк",
    r"\bмаркетинг",
    r"\bсмс\b",
)
_ABOUT_DATA = _patterns(
    r"\b(personas|mani|manus|manu|savus|savi) dat",
    r"\bvdar\b",
    r"\bgdpr\b",
    r"\bmy (\w+ )?data\b",
    r"\bpersonal data\b",
    r"\bперсональн",
    r"\bмо(и|их|ими) (\w+ )?данн",
)
_CHANNEL_EMAIL = _patterns(r"\be-?past", r"\be-?mail", r"\bnewsletter", r"\bjaunum", r"\bрассылк", r"\bпочт")
_CHANNEL_SMS = _patterns(r"\bsms\b", r"\biszin", r"\bсмс\b", r"\btext messages?\b")


@dataclass(frozen=True)
class Classification:
    language: Language
    rights: frozenset[Right]
    recognised: bool
    """False when no phrase matched and ACCESS is only the default (staff are told)."""
    personal_code: str | None
    """A personal code written in the text: a *claimed* identifier, never proof (LAW.md §Identity)."""
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


def _any(patterns: tuple[re.Pattern[str], ...], text: str) -> bool:
    return any(p.search(text) for p in patterns)


def detect_rights(text: str) -> frozenset[Right]:
    """Every right the text asks for (several per message are common)."""
    folded = fold(text)
    found: set[Right] = set()
    for right, patterns in (
        (Right.ACCESS, _ACCESS),
        (Right.ERASURE, _ERASURE),
        (Right.RECTIFICATION, _RECTIFICATION),
        (Right.RESTRICTION, _RESTRICTION),
        (Right.PORTABILITY, _PORTABILITY),
        (Right.CONSENT_WITHDRAWAL, _CONSENT),
    ):
        if _any(patterns, folded):
            found.add(right)
    marketing = _any(_MARKETING_CONTEXT, folded)
    if _any(_MARKETING_STOP, folded):
        found.add(Right.MARKETING_OBJECTION)
    if _any(_OBJECTION, folded):
        # Art. 21(2): an objection that names marketing is the absolute one.
        found.add(Right.MARKETING_OBJECTION if marketing else Right.OBJECTION)
    return frozenset(found)


def find_personal_code(text: str) -> str | None:
    match = PERSONAL_CODE.search(text)
    return f"{match.group(1)}-{match.group(2)}" if match else None


def marketing_channels(text: str) -> frozenset[str]:
    folded = fold(text)
    channels = set()
    if _any(_CHANNEL_EMAIL, folded):
        channels.add("email")
    if _any(_CHANNEL_SMS, folded):
        channels.add("sms")
    return frozenset(channels)


def classify(subject: str, text: str) -> Classification:
    """Language, rights and claimed identifiers of a message; see the module docstring."""
    whole = f"{subject}\n{text}"
    rights = detect_rights(whole)
    recognised = bool(rights) or _any(_ABOUT_DATA, fold(whole))
    asked = rights or frozenset({Right.ACCESS})
    objection = Right.MARKETING_OBJECTION in asked
    return Classification(
        language=detect_language(text if text.strip() else subject),
        rights=asked,
        recognised=recognised,
        personal_code=find_personal_code(whole),
        marketing_channels=marketing_channels(whole) if objection else frozenset(),
    )
