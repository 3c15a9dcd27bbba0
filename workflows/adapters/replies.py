"""Render replies from Jinja2 templates in Latvian, English and Russian.

Layout of ``workflows/templates/<language>/``: ``<kind>.subject.j2``, ``<kind>.txt.j2`` and
``<kind>.html.j2`` per :class:`~workflows.domain.replies.ReplyKind`. The text and HTML
wrappers include one shared ``<kind>.body.j2`` written in a tiny block markup (paragraphs
separated by blank lines, ``- `` list items), so a translator edits each sentence once.

Safety:
- two environments over one loader: the HTML one autoescapes everything it renders (the
  ``.html.j2`` wrappers and the bodies they include), the text one escapes nothing;
- every string in the facts that may come from a person is forced onto one line before
  rendering, so a name cannot add lines to a plain-text message;
- the subject is collapsed to one line with no control characters (header injection);
- StrictUndefined: a template that uses a missing variable fails instead of printing "".

Identity letters list only the routes this installation offers for the request's channel
(:class:`InstallationRouteOffer`, built by the composition root from the settings): the
renderer fills in :attr:`~workflows.domain.replies.IdentityVerificationFacts.routes` when the
engine left it empty, so every letter and every console preview says the same.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any, Protocol, TypeVar

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from workflows.adapters import reply_vocabulary as vocab
from workflows.domain.errors import WorkflowError
from workflows.domain.profile import ControllerProfile, LocalText, Period, pick_text
from workflows.domain.replies import (
    AcknowledgementFacts,
    IdentityRoute,
    IdentityRoutes,
    IdentityVerificationFacts,
    InstallationRoutes,
    ReplyFacts,
    ReplyKind,
    RequestSummary,
    VerificationFailedFacts,
    offered_routes,
)
from workflows.domain.rights import Language

_T = TypeVar("_T")

# C0/C1 controls, line and paragraph separators and bidirectional overrides: none belongs in
# a one-line value, and bidi overrides can make a text read differently from what it says.
_UNSAFE_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")
_SPACES = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class ReplyTemplateError(WorkflowError):
    """A reply cannot be rendered: wrong facts for the kind, or a template problem."""


@dataclass(frozen=True)
class RenderedReply:
    """One message ready for the outbox."""

    subject: str
    text: str
    html: str


class IdentityRouteOffer(Protocol):
    def routes_for(self, request: RequestSummary, required_tier: int) -> IdentityRoutes:
        """The routes that work for ``request`` at ``required_tier`` on this installation."""
        ...


PageLink = Callable[[str], tuple[str, date]]
"""A request's reference -> the address of its identity page (with its capability) and the
last day the address works (bot.identity.page_links, wired by the composition root)."""

_ON_PAGE = (IdentityRoute.WEB_PAGE_CODE, IdentityRoute.WEB_PAGE_EID)


@dataclass(frozen=True)
class InstallationRouteOffer:
    """The installation's routes (:func:`~workflows.domain.replies.offered_routes`) with the
    real intake address and, when a page route is offered, a fresh link to the request's page.

    The default offers what works everywhere without configuration: a shop visit."""

    installation: InstallationRoutes = field(default_factory=InstallationRoutes)
    page_link: PageLink | None = None

    def routes_for(self, request: RequestSummary, required_tier: int) -> IdentityRoutes:
        offered = offered_routes(self.installation, request.channel, required_tier)
        url: str | None = None
        until: date | None = None
        if any(route in offered for route in _ON_PAGE):
            if self.page_link is None:
                offered = tuple(route for route in offered if route not in _ON_PAGE)
            else:
                url, until = self.page_link(request.reference)
        return IdentityRoutes(
            offered=offered,
            signed_email_address=self.installation.signed_email_address,
            web_page_url=url,
            web_page_until=until,
        )


_FACTS_WITH_ROUTES = (AcknowledgementFacts, IdentityVerificationFacts, VerificationFailedFacts)


def one_line(value: str) -> str:
    """``value`` with every line break and control character turned into a single space."""
    return _SPACES.sub(" ", _UNSAFE_IN_LINE.sub(" ", value)).strip()


def _one_line_everywhere(value: _T) -> _T:
    """A copy of the facts with every plain string kept on one line (enums untouched)."""
    if isinstance(value, str) and not isinstance(value, Enum):
        return one_line(value)  # type: ignore[return-value]
    if isinstance(value, tuple):
        return tuple(_one_line_everywhere(item) for item in value)  # type: ignore[return-value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _one_line_everywhere(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value


def _blocks_to_html(body: str) -> Markup:
    """Turn the bodies' block markup into HTML; ``body`` is already escaped by the HTML env."""
    html: list[str] = []
    for block in re.split(r"\n\s*\n", body.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        paragraph: list[str] = []
        items: list[str] = []
        for line in lines:
            if line.startswith("- "):
                if paragraph:
                    html.append("<p>" + "<br>\n".join(paragraph) + "</p>")
                    paragraph = []
                items.append("<li>" + line[2:] + "</li>")
            else:
                if items:
                    html.append("<ul>\n" + "\n".join(items) + "\n</ul>")
                    items = []
                paragraph.append(line)
        if paragraph:
            html.append("<p>" + "<br>\n".join(paragraph) + "</p>")
        if items:
            html.append("<ul>\n" + "\n".join(items) + "\n</ul>")
    return Markup("\n".join(html))  # noqa: S704 - every piece came escaped from the HTML environment


def _tidy_text(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)) + "\n"


class JinjaReplyRenderer:
    """Renders every :class:`ReplyKind` in every :class:`Language` from the template folder."""

    def __init__(self, templates_dir: Path | None = None, *, routes: IdentityRouteOffer | None = None) -> None:
        self._routes: IdentityRouteOffer = routes or InstallationRouteOffer()
        folder = templates_dir or Path(__file__).resolve().parents[1] / "templates"
        loader = FileSystemLoader(str(folder))
        common: dict[str, Any] = {
            "loader": loader,
            "undefined": StrictUndefined,
            "trim_blocks": True,
            "lstrip_blocks": True,
            "keep_trailing_newline": True,
        }
        self._text_env = Environment(autoescape=False, **common)  # noqa: S701 - plain text, never HTML
        self._html_env = Environment(autoescape=True, **common)
        self._html_env.filters["blocks"] = _blocks_to_html

    def render(
        self, kind: ReplyKind, language: Language, facts: ReplyFacts, profile: ControllerProfile
    ) -> RenderedReply:
        """Subject, text and HTML of reply ``kind`` in ``language`` for ``facts``."""
        if facts.kind is not kind:
            raise ReplyTemplateError(
                f"facts for {facts.kind.value} given to render {kind.value}",
                kind=kind.value,
                facts_kind=facts.kind.value,
            )
        safe_facts = _one_line_everywhere(self._with_routes(facts))
        context = self._context(language, safe_facts, profile)
        prefix = f"{language.value}/{kind.value}"
        try:
            subject = self._text_env.get_template(f"{prefix}.subject.j2").render(context)
            text = self._text_env.get_template(f"{prefix}.txt.j2").render(context)
            html = self._html_env.get_template(f"{prefix}.html.j2").render(context)
        except WorkflowError:
            raise
        except Exception as exc:  # jinja2 raises many types; give the engine one it knows
            raise ReplyTemplateError(
                f"cannot render {prefix}: {type(exc).__name__}: {exc}", kind=kind.value, language=language.value
            ) from exc
        return RenderedReply(subject=one_line(subject), text=_tidy_text(text), html=html.strip() + "\n")

    def _with_routes(self, facts: ReplyFacts) -> ReplyFacts:
        """Facts that speak of identity carry the routes offered; the engine's, if it gave any."""
        if isinstance(facts, _FACTS_WITH_ROUTES) and facts.routes is None:
            routes = self._routes.routes_for(facts.request, facts.required_tier)
            return dataclasses.replace(facts, routes=routes)
        return facts

    @staticmethod
    def _context(language: Language, facts: ReplyFacts, profile: ControllerProfile) -> dict[str, Any]:
        code = language.value

        def in_language(table: vocab.Words) -> Callable[[str], str]:
            return lambda key: vocab.word(table, key, code)

        right_name = in_language(vocab.RIGHT_NAMES)
        return {
            "kind": facts.kind.value,
            "facts": facts,
            "request": facts.request,
            "profile": profile,
            "authority": profile.supervisory_authority,
            "language": code,
            "t": lambda text: pick_text(text, code) if text is not None else "",
            "date": lambda day: vocab.format_date(day, code),
            "until": lambda day: vocab.format_until(day, code),
            "period": lambda period: vocab.format_period(period, code),
            "right_name": right_name,
            "rights_list": lambda rights: "; ".join(right_name(right) for right in rights),
            "days": lambda count: vocab.format_period(Period(days=abs(count)), code),
            "legal_basis": in_language(vocab.LEGAL_BASIS_NAMES),
            "role": in_language(vocab.ROLE_NAMES),
            "failure": in_language(vocab.VERIFICATION_FAILURES),
            "extension_reason": in_language(vocab.EXTENSION_REASONS),
            "refusal_reason": in_language(vocab.REFUSAL_REASONS),
            "delivery": in_language(vocab.DELIVERY_METHODS),
            "restriction_ground": in_language(vocab.RESTRICTION_GROUNDS),
            "channel_name": in_language(vocab.CHANNEL_NAMES),
            "field_name": in_language(vocab.FIELD_NAMES),
        }


def render_period(period: Period, language: Language) -> str:
    """Convenience for callers outside templates (e.g. the staff console)."""
    return vocab.format_period(period, language.value)


def render_date(day: date, language: Language) -> str:
    return vocab.format_date(day, language.value)


def localised(text: LocalText, language: Language) -> str:
    return pick_text(text, language.value)


__all__ = [
    "IdentityRouteOffer",
    "InstallationRouteOffer",
    "JinjaReplyRenderer",
    "PageLink",
    "RenderedReply",
    "ReplyTemplateError",
    "one_line",
]
