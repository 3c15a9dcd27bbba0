"""A signed document verifies only the request it carries.

A valid qualified electronic signature (eIDAS Art. 3(12), Art. 25(2)) proves that its
signer signed *that content*; it does not prove that whoever hands it to us is the signer.
People in Latvia send signed ``.edoc`` files to many parties (contracts, applications,
earlier requests), so holding one is not being its signer. Authentication of a requester
(GDPR Art. 12(6); EDPB Guidelines 01/2022 ¶¶58-81) therefore takes a signature that is
bound to this request, by four rules checked here for every channel alike:

1. **The signed content is the request.** Its text is read from what the signature
   covers: a ``.txt``, ``.pdf``, ``.docx`` or ``.odt`` inside the container (only files
   covered by a signature that PASSED), the signed S/MIME entity, or the signed PDF. A
   signed file without readable text (a scan) is not evidence by itself: it goes to staff.
   By e-mail the rights asked are read from the signed text, never from unsigned text
   around it.
2. **Signed recently.** The signing time proven by a signature time-stamp (ETSI EN
   319 102-1 clause 5.6.2.2; without one, the time the signer claims, with a warning)
   lies no earlier than :attr:`BindingPolicy.max_age` before we received the document
   (default 30 days) and never after receipt plus :attr:`BindingPolicy.clock_skew`
   (default 10 minutes). A time-stamp only proves the signature existed by then, and it is
   unsigned: the time the signer signed (a signed property) must be recent too, so an old
   signature time-stamped afresh by whoever holds it is still old.
3. **Addressed to this controller, for this request.** The signed text names the
   controller (its name, brand, registration number or a privacy address from the
   controller profile) or carries this request's reference (``DSR-YYYY-NNNNNN``, which the
   bot and the acknowledgement hand out). Otherwise staff are told "signed, but not
   addressed to us" and the evidence does not verify. A signed text that carries the
   reference of another request belongs to that request. A text bound only by naming the
   controller verifies only the rights it asks for itself
   (:func:`workflows.domain.rights_in_text.detect_rights`): every right of the request it is
   presented for must be among them, or it verifies nothing. Otherwise whoever holds
   someone's fresh signed access letter to us could open an erasure in her name (in the chat
   the buttons choose the rights, in an e-mail thread earlier unsigned messages did) and
   verify it with that letter. A text that carries this request's reference binds the whole
   request; a text that opens a new request is its own request and so covers itself.
4. **Used once.** The digest of each signature that verified someone is recorded; the same
   signature presented for another request is refused and staff are told. The digest is of
   the signature value, never of the file or of anything unsigned (a time-stamp can be
   stripped or replaced, a container re-zipped) that would make the same signature look new.
   A text shown reversed (Unicode bidirectional overrides) binds nothing: the signer may have
   seen another text than the one that names us.

Pure rules over plain facts: the adapters read the signature report and the signed bytes
(``workflows.adapters.signed_evidence``) and keep the record of uses.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from workflows.domain.profile import ControllerProfile
from workflows.domain.reference import format_reference
from workflows.domain.rights import Right
from workflows.domain.rights_in_text import detect_rights, rights_not_covered

DEFAULT_MAX_AGE = timedelta(days=30)
DEFAULT_CLOCK_SKEW = timedelta(minutes=10)

_REFERENCES = re.compile(r"\bDSR-(\d{4})-(\d{6,})\b", re.IGNORECASE)
_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-]+@[\w-]+(?:\.[\w-]+)+)", re.UNICODE)
_NOT_WORD = re.compile(r"[^0-9a-z\u0400-\u04ff]+")
# Legal forms that say what kind of company, not which one: "SIA MonaOK" is named by "MonaOK".
_LEGAL_FORMS = frozenset(
    {
        *("sia", "as", "ik", "ks", "ps", "biedriba", "nodibinajums", "apvieniba"),
        *("ltd", "llc", "plc", "inc", "gmbh", "ag", "ab", "oy", "uab", "ou", "sa", "srl", "bv", "nv"),
        *("ооо", "ао", "зао"),
    }
)
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"))
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
"""Bidirectional embeddings, overrides and isolates (Unicode UAX #9 clause 2)."""
_SHORTEST_NAME = 4
"""A name shorter than this (after its legal form is removed) is too common to bind anything."""


@dataclass(frozen=True, slots=True)
class BindingPolicy:
    """How recent a signature must be (``[identity]`` settings)."""

    max_age: timedelta = DEFAULT_MAX_AGE
    clock_skew: timedelta = DEFAULT_CLOCK_SKEW


@dataclass(frozen=True, slots=True)
class ControllerMarks:
    """What in a signed text names this controller: folded names, registration numbers, addresses."""

    names: tuple[str, ...]
    registration_numbers: tuple[str, ...]
    addresses: tuple[str, ...]
    display_name: str = ""
    """How replies name the controller ("MonaOK group")."""

    @classmethod
    def from_profile(cls, profile: ControllerProfile) -> ControllerMarks:
        names: list[str] = []
        for name in (profile.name, profile.trade_name):
            if not name:
                continue
            whole = _words(name)
            core = " ".join(w for w in whole.split() if w not in _LEGAL_FORMS)
            names.extend(n for n in (whole, core) if len(n.replace(" ", "")) >= _SHORTEST_NAME)
        digits = re.sub(r"\D", "", profile.registration_number or "")
        addresses = [profile.contacts.privacy_email, profile.channels.privacy_email]
        if profile.dpo is not None:
            addresses.append(profile.dpo.email)
        return cls(
            names=tuple(dict.fromkeys(names)),
            registration_numbers=(digits,) if len(digits) >= 9 and digits.strip("0") else (),
            addresses=tuple(dict.fromkeys(a.strip().lower() for a in addresses if a and "@" in a)),
            display_name=profile.trade_name or profile.name,
        )

    def named_in(self, text: str) -> str | None:
        """Which mark of the controller ``text`` carries ("name", "registration number",
        "privacy address"), or None."""
        lowered = text.lower()
        if any(address in _emails(lowered) for address in self.addresses):
            return "privacy address"
        folded = f" {_words(text)} "
        if any(f" {name} " in folded for name in self.names):
            return "name"
        numbers = set(re.findall(r"(?<!\d)\d{9,14}(?!\d)", text))
        if any(number in numbers for number in self.registration_numbers):
            return "registration number"
        return None


@dataclass(frozen=True, slots=True)
class SignedContent:
    """The facts of one signature that passed, as the binding rules need them."""

    signature_digest: str
    """Identifies the signature (signer certificate, signing time, signed data digests)."""
    signing_time: datetime | None
    time_proven: bool
    """True when a verified signature time-stamp proves the signing time."""
    text: str | None
    """The signed text; None when the signed content has none that can be read (a scan)."""
    claimed_signing_time: datetime | None = None
    """The signing time the signer signed (XAdES SigningTime, CMS signing-time), when known.

    A signature time-stamp proves only that the signature existed by its time (EN 319 102-1
    clause 5.6.2.2 is an upper bound); it is an unsigned property, so an old signature can be
    time-stamped afresh by whoever holds it. How old a signature is therefore also counts from
    the time its signer signed, which no holder can move."""


class BindingProblem(StrEnum):
    """Why a valid signature does not verify this request."""

    NO_SIGNED_TEXT = "no_signed_text"
    NO_SIGNING_TIME = "no_signing_time"
    SIGNED_TOO_LONG_AGO = "signed_too_long_ago"
    SIGNED_AFTER_RECEIPT = "signed_after_receipt"
    NOT_ADDRESSED_TO_US = "not_addressed_to_us"
    FOR_ANOTHER_REQUEST = "for_another_request"
    ALREADY_USED = "already_used"
    RIGHTS_NOT_SIGNED = "rights_not_signed"
    """Bound only by naming the controller, and the signed text does not ask for every right of the request."""

    @property
    def tells_staff(self) -> bool:
        """Problems staff must look at: a scan to read, a document meant for someone else, a replay."""
        return self in _STAFF_PROBLEMS


_STAFF_PROBLEMS = frozenset(
    {
        BindingProblem.NO_SIGNED_TEXT,
        BindingProblem.NOT_ADDRESSED_TO_US,
        BindingProblem.FOR_ANOTHER_REQUEST,
        BindingProblem.ALREADY_USED,
        BindingProblem.RIGHTS_NOT_SIGNED,
    }
)


@dataclass(frozen=True, slots=True)
class BindingVerdict:
    """Whether a passed signature is bound to this request, and what staff should know."""

    problem: BindingProblem | None
    reason: str
    """Plain words for staff and the audit log ("" when bound)."""
    addressed_by: str | None = None
    """What bound it: "reference", "name", "registration number" or "privacy address"."""
    warnings: tuple[str, ...] = ()
    named_email: str | None = None
    """The e-mail address the signed text names (not the controller's), if exactly one."""
    signed_rights: frozenset[Right] = frozenset()
    """The rights the signed text asks for (read whenever the text was addressed to us)."""
    rights_not_signed: frozenset[Right] = frozenset()
    """With RIGHTS_NOT_SIGNED: the rights of the request that the signed text does not ask for."""

    @property
    def bound(self) -> bool:
        return self.problem is None


def judge_binding(
    content: SignedContent,
    *,
    received_at: datetime,
    reference: str | None,
    marks: ControllerMarks,
    policy: BindingPolicy,
    used_by: str | None,
    rights_asked: frozenset[Right] | None = None,
) -> BindingVerdict:
    """Apply the four rules of the module docstring, in order; the first that fails decides.

    ``reference`` is the request the document is presented for (None: a new e-mail that
    opens one); ``used_by`` the reference of the request this signature already verified;
    ``rights_asked`` the rights of the request the signature would verify (None: the
    request is opened with the rights read from this very text, which covers itself).
    """
    warnings: list[str] = []
    text = content.text
    if text is None or not text.strip():
        return BindingVerdict(
            BindingProblem.NO_SIGNED_TEXT,
            "the signed document has no text that can be read (a scan or an image?): read it and record the"
            " identity by hand only if it is this request",
        )
    when = content.signing_time
    if when is None:
        return BindingVerdict(BindingProblem.NO_SIGNING_TIME, "the signature carries no signing time")
    if not content.time_proven:
        warnings.append("the signing time is only claimed by the signer: no signature time-stamp proves it")
    if when > received_at + policy.clock_skew:
        return BindingVerdict(
            BindingProblem.SIGNED_AFTER_RECEIPT,
            f"the signing time {when.isoformat()} is after the document was received ({received_at.isoformat()})",
            warnings=tuple(warnings),
        )
    claimed = content.claimed_signing_time
    if claimed is not None and claimed < when:
        when = claimed  # a fresh time-stamp over an old signature does not make it recent
    if when < received_at - policy.max_age:
        return BindingVerdict(
            BindingProblem.SIGNED_TOO_LONG_AGO,
            f"signed on {when.date().isoformat()}, more than {policy.max_age.days} days before it was received",
            warnings=tuple(warnings),
        )
    if _BIDI_CONTROLS.search(text):
        # U+202E etc. make a text display in another order than it reads (Unicode UAX #9): a
        # signer may have seen "KOanoM" where the text says "MonaOK". Latvian, English and
        # Russian letters never need them, so such a text is for staff to read, not to bind.
        return BindingVerdict(
            BindingProblem.NOT_ADDRESSED_TO_US,
            "signed, but not addressed to us for certain: the signed text contains characters that reverse how"
            " it is displayed (Unicode bidirectional controls), so what the signer saw may differ from it",
            warnings=tuple(warnings),
        )
    carried = references_in(text)
    others = sorted(carried - ({reference} if reference else set()))
    if reference is not None and reference in carried:
        addressed_by: str | None = "reference"
    elif others:
        return BindingVerdict(
            BindingProblem.FOR_ANOTHER_REQUEST,
            f"the signed text names another request ({', '.join(others[:3])})",
            warnings=tuple(warnings),
        )
    else:
        addressed_by = marks.named_in(text)
    if addressed_by is None:
        return BindingVerdict(
            BindingProblem.NOT_ADDRESSED_TO_US,
            "signed, but not addressed to us: the signed text names neither this controller nor this request",
            warnings=tuple(warnings),
        )
    signed_rights = detect_rights(text)
    if used_by is not None and used_by != reference:
        return BindingVerdict(
            BindingProblem.ALREADY_USED,
            f"the same signed document already verified request {used_by}: refused for this one",
            addressed_by=addressed_by,
            warnings=tuple(warnings),
            signed_rights=signed_rights,
        )
    missing: frozenset[Right] = frozenset()
    if addressed_by != "reference" and rights_asked is not None:
        missing = rights_not_covered(rights_asked, signed_rights)
    if missing:
        asks = ", ".join(sorted(signed_rights)) or "no right we can recognise"
        return BindingVerdict(
            BindingProblem.RIGHTS_NOT_SIGNED,
            f"signed and addressed to us by {addressed_by}, but not for this request: the signed text asks for"
            f" {asks}, and does not ask for {', '.join(sorted(missing))}, which this request asks; it carries no"
            " reference of this request either",
            addressed_by=addressed_by,
            warnings=tuple(warnings),
            signed_rights=signed_rights,
            rights_not_signed=missing,
        )
    return BindingVerdict(
        None,
        "",
        addressed_by=addressed_by,
        warnings=tuple(warnings),
        named_email=named_email(text, marks),
        signed_rights=signed_rights,
    )


def references_in(text: str) -> set[str]:
    """Every case reference in ``text``, normalised (``dsr-2026-123456`` -> ``DSR-2026-123456``).

    Word processors turn ``-`` into a dash or a non-breaking hyphen and some keyboards give
    full-width digits: a reference written so is still that request's, and must not slip past
    the rule "a signed text naming another request belongs to that request"."""
    plain = unicodedata.normalize("NFKC", text).translate(_DASHES)
    return {format_reference(int(m.group(1)), int(m.group(2))) for m in _REFERENCES.finditer(plain)}


def named_email(text: str, marks: ControllerMarks) -> str | None:
    """The one e-mail address the signed text names besides the controller's own, else None
    (two different addresses say nothing certain about where replies should go)."""
    found = [a for a in dict.fromkeys(_emails(text.lower())) if a not in marks.addresses]
    return found[0] if len(found) == 1 else None


def _emails(text: str) -> list[str]:
    return [m.group(1).rstrip(".") for m in _EMAIL.finditer(text)]


def _words(text: str) -> str:
    """Lower case, Latvian diacritics removed (ā->a, š->s), punctuation and quotes as spaces."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NOT_WORD.sub(" ", plain).split())


def flatten(parts: Iterable[str]) -> str:
    """Texts of several signed files as one request text, in the given order."""
    return "\n\n".join(p.strip() for p in parts if p and p.strip())
