"""Which data-subject rights a free text asks for, in Latvian, English and Russian.

A request needs no particular form (GDPR Art. 12(2); EDPB Guidelines 01/2022 ¶¶50-52):
people write "dzēsiet manus datus", "please stop the SMS" or "прошу удалить мои данные",
and each of these asks for a right of GDPR Chapter III. The phrase lists follow the wording
of Chapter III and of the seed privacy policies ("pabeigt, labot vai dzēst", "ierobežot
apstrādes procesu", "iebilst pret apstrādi", "datu pārnesamību", "atsaukt piekrišanu").

Latvian is matched on *stems* of text folded to ASCII (ā->a, š->s …), so inflections
("dzēst", "dzēšanu", "izdzēsiet") and text typed without diacritics both match.

A domain rule, not only an intake convenience: the e-mail intake reads a new request's
rights with it, and :mod:`workflows.domain.evidence_binding` reads with it what a signed
text asks for, so that a signature bound only by naming the controller verifies only the
rights its signer signed for. Standard library only.
"""

from __future__ import annotations

import re
import unicodedata

from workflows.domain.rights import Right


def fold(text: str) -> str:
    """Lower case without diacritics (Latvian ā->a, š->s …); Cyrillic is kept as it is."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def patterns(*expressions: str) -> tuple[re.Pattern[str], ...]:
    """Compiled patterns, each to be run on :func:`fold`-ed text."""
    return tuple(re.compile(e) for e in expressions)


# Each pattern runs on folded text. Word starts are anchored with \b so that stems do not
# match inside unrelated words ("labo" must not match "laboratorija": see the suffixes).
_ACCESS = patterns(
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
_ERASURE = patterns(
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
_RECTIFICATION = patterns(
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
_RESTRICTION = patterns(r"\bierobez", r"\brestrict", r"\bогранич")
_OBJECTION = patterns(r"\biebil(st|dum|de|du)", r"\bobject(ion|ing|s)?\b", r"\bвозраж")
_PORTABILITY = patterns(
    r"\bparnes(amib|t)",
    r"\bportab",
    r"\bmachine.readable\b",
    r"\btransfer my data\b",
    r"\bпереносим",
    r"\bперен(ести|ос)\w* (\w+ ){0,2}данн",
)
_CONSENT = patterns(
    r"\batsauk\w* (\w+ ){0,2}piekrisan",
    r"\batsaucu (\w+ ){0,2}piekrisan",
    r"\b(withdraw|revoke)\w* (\w+ ){0,2}consent",
    r"\bотоз\w* (\w+ ){0,2}согласи",
)
_MARKETING_STOP = patterns(
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
_MARKETING_CONTEXT = patterns(
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


def matches_any(expressions: tuple[re.Pattern[str], ...], folded: str) -> bool:
    """True when one of ``expressions`` occurs in the already folded text."""
    return any(p.search(folded) for p in expressions)


def detect_rights(text: str) -> frozenset[Right]:
    """Every right the text asks for (several per message are common)."""
    folded = fold(text)
    found: set[Right] = set()
    for right, expressions in (
        (Right.ACCESS, _ACCESS),
        (Right.ERASURE, _ERASURE),
        (Right.RECTIFICATION, _RECTIFICATION),
        (Right.RESTRICTION, _RESTRICTION),
        (Right.PORTABILITY, _PORTABILITY),
        (Right.CONSENT_WITHDRAWAL, _CONSENT),
    ):
        if matches_any(expressions, folded):
            found.add(right)
    marketing = matches_any(_MARKETING_CONTEXT, folded)
    if matches_any(_MARKETING_STOP, folded):
        found.add(Right.MARKETING_OBJECTION)
    if matches_any(_OBJECTION, folded):
        # Art. 21(2): an objection that names marketing is the absolute one.
        found.add(Right.MARKETING_OBJECTION if marketing else Right.OBJECTION)
    return frozenset(found)


def rights_not_covered(asked: frozenset[Right], signed: frozenset[Right]) -> frozenset[Right]:
    """The rights of ``asked`` that a text asking for ``signed`` does not ask for.

    An objection to all processing (Art. 21(1)) covers the objection to direct marketing
    (Art. 21(2)), which is one of its purposes; nothing else stands in for another right: an
    access request (Art. 15) is no erasure request (Art. 17), nor a copy for portability."""
    covered = set(signed)
    if Right.OBJECTION in covered:
        covered.add(Right.MARKETING_OBJECTION)
    return frozenset(asked - covered)
