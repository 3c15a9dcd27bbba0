"""Plans and previews: what an action will do in the controller's databases, shown to staff.

The planner (``workflows.service_layer.planning``) builds one :class:`PlannedAction` per
thing to do; its preview is stored in ``actions.preview`` as JSON and is what the approver
approves (four-eyes, Art. 5(2) accountability). A preview carries no more personal data
than the approver needs: counts, table and column names, profile ids, dates — the only
values are old -> new for a rectification (Art. 16), which staff must see to judge it.

Standard library only. Every preview round-trips through :meth:`to_json` /
:func:`preview_from_json`; the ``type`` key names the preview class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from workflows.domain.actions import ActionKind
from workflows.domain.datamap import ErasureMethod
from workflows.domain.errors import WorkflowError
from workflows.domain.rights import Right


class PlanError(WorkflowError):
    """A plan cannot be made or read back (e.g. a malformed stored preview)."""


@dataclass(frozen=True)
class TableRows:
    """Rows of one table and the columns the action touches (names only)."""

    table: str
    rows: int
    columns: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"table": self.table, "rows": self.rows, "columns": list(self.columns)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TableRows:
        return cls(str(data["table"]), int(data["rows"]), tuple(str(c) for c in data.get("columns", ())))


@dataclass(frozen=True)
class ColumnTreatment:
    """How erasure anonymises one column of rows that are not deleted."""

    column: str
    method: ErasureMethod

    def to_json(self) -> dict[str, Any]:
        return {"column": self.column, "method": str(self.method)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ColumnTreatment:
        return cls(str(data["column"]), ErasureMethod(data["method"]))


@dataclass(frozen=True)
class TableAnonymisation:
    table: str
    rows: int
    columns: tuple[ColumnTreatment, ...]

    def to_json(self) -> dict[str, Any]:
        return {"table": self.table, "rows": self.rows, "columns": [c.to_json() for c in self.columns]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TableAnonymisation:
        columns = tuple(ColumnTreatment.from_json(c) for c in data.get("columns", ()))
        return cls(str(data["table"]), int(data["rows"]), columns)


@dataclass(frozen=True)
class KeptRows:
    """Rows kept under a retention rule (profile id) until a date (Art. 17(3)(b)); the
    latest until-date of the rows is shown, the reply names the same rule and date."""

    table: str
    rows: int
    retention_rule: str
    until: date

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "rows": self.rows,
            "retention_rule": self.retention_rule,
            "until": self.until.isoformat(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> KeptRows:
        return cls(
            str(data["table"]), int(data["rows"]), str(data["retention_rule"]), date.fromisoformat(data["until"])
        )


@dataclass(frozen=True)
class FlagChange:
    """A column set to a value on the person's rows (restriction flag, consent cleared)."""

    table: str
    column: str
    value: bool | int | str | None
    rows: int

    def to_json(self) -> dict[str, Any]:
        return {"table": self.table, "column": self.column, "value": self.value, "rows": self.rows}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FlagChange:
        return cls(str(data["table"]), str(data["column"]), data.get("value"), int(data["rows"]))


@dataclass(frozen=True)
class ValueChange:
    """One rectified value (Art. 16): staff see old -> new to judge accuracy."""

    field: str
    table: str
    column: str
    old: str | None
    new: str
    rows: int

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "table": self.table,
            "column": self.column,
            "old": self.old,
            "new": self.new,
            "rows": self.rows,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ValueChange:
        old = data.get("old")
        return cls(
            str(data["field"]),
            str(data["table"]),
            str(data["column"]),
            None if old is None else str(old),
            str(data["new"]),
            int(data["rows"]),
        )


@dataclass(frozen=True)
class RecipientsToNotify:
    """Art. 19: who will be told, and who will not with the profile's reason id."""

    notify: tuple[str, ...] = ()
    exempt: tuple[str, ...] = ()
    """Recipients the profile marks impossible or disproportionate to notify (reason in the profile)."""

    def to_json(self) -> dict[str, Any]:
        return {"notify": list(self.notify), "exempt": list(self.exempt)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> RecipientsToNotify:
        data = data or {}
        return cls(tuple(data.get("notify", ())), tuple(data.get("exempt", ())))


# -- previews per right ------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportPreview:
    """Access (Art. 15(3)) or portability (Art. 20): rows exported, counted per table.

    For portability ``columns`` lists only the columns the person provided."""

    type: ClassVar[str] = "export"
    portable: bool
    tables: tuple[TableRows, ...]

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "portable": self.portable,
            "total_rows": self.total_rows,
            "tables": [t.to_json() for t in self.tables],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ExportPreview:
        return cls(bool(data["portable"]), tuple(TableRows.from_json(t) for t in data.get("tables", ())))


@dataclass(frozen=True)
class RectificationPreview:
    type: ClassVar[str] = "rectification"
    changes: tuple[ValueChange, ...]
    recipients: RecipientsToNotify = field(default_factory=RecipientsToNotify)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "changes": [c.to_json() for c in self.changes],
            "recipients": self.recipients.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RectificationPreview:
        changes = tuple(ValueChange.from_json(c) for c in data.get("changes", ()))
        return cls(changes, RecipientsToNotify.from_json(data.get("recipients")))


@dataclass(frozen=True)
class ErasurePreview:
    """Art. 17: rows deleted, columns anonymised, rows kept under a rule until a date."""

    type: ClassVar[str] = "erasure"
    deleted: tuple[TableRows, ...]
    anonymised: tuple[TableAnonymisation, ...]
    kept: tuple[KeptRows, ...]
    categories: tuple[str, ...] = ()
    """Profile category ids erased (what the reply lists)."""
    suppression: tuple[str, ...] = ()
    """Identifier kinds kept as keyed hashes on the suppression list ("email", "phone")."""
    recipients: RecipientsToNotify = field(default_factory=RecipientsToNotify)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "deleted": [t.to_json() for t in self.deleted],
            "anonymised": [t.to_json() for t in self.anonymised],
            "kept": [k.to_json() for k in self.kept],
            "categories": list(self.categories),
            "suppression": list(self.suppression),
            "recipients": self.recipients.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ErasurePreview:
        return cls(
            tuple(TableRows.from_json(t) for t in data.get("deleted", ())),
            tuple(TableAnonymisation.from_json(t) for t in data.get("anonymised", ())),
            tuple(KeptRows.from_json(k) for k in data.get("kept", ())),
            tuple(str(c) for c in data.get("categories", ())),
            tuple(str(s) for s in data.get("suppression", ())),
            RecipientsToNotify.from_json(data.get("recipients")),
        )


@dataclass(frozen=True)
class RestrictionPreview:
    """Art. 18: the restriction flags that will be set."""

    type: ClassVar[str] = "restriction"
    flags: tuple[FlagChange, ...]
    categories: tuple[str, ...] = ()
    recipients: RecipientsToNotify = field(default_factory=RecipientsToNotify)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "flags": [f.to_json() for f in self.flags],
            "categories": list(self.categories),
            "recipients": self.recipients.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RestrictionPreview:
        return cls(
            tuple(FlagChange.from_json(f) for f in data.get("flags", ())),
            tuple(str(c) for c in data.get("categories", ())),
            RecipientsToNotify.from_json(data.get("recipients")),
        )


@dataclass(frozen=True)
class OptOutPreview:
    """Art. 21(3) marketing objection or Art. 7(3) consent withdrawal: consents cleared,
    and a minimal suppression entry kept so the person is not re-added to marketing."""

    type: ClassVar[str] = "opt_out"
    purposes: tuple[str, ...]
    cleared: tuple[FlagChange, ...]
    suppression: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "purposes": list(self.purposes),
            "cleared": [f.to_json() for f in self.cleared],
            "suppression": list(self.suppression),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OptOutPreview:
        return cls(
            tuple(str(p) for p in data.get("purposes", ())),
            tuple(FlagChange.from_json(f) for f in data.get("cleared", ())),
            tuple(str(s) for s in data.get("suppression", ())),
        )


Preview = ExportPreview | RectificationPreview | ErasurePreview | RestrictionPreview | OptOutPreview

_PREVIEW_TYPES: dict[
    str,
    type[ExportPreview]
    | type[RectificationPreview]
    | type[ErasurePreview]
    | type[RestrictionPreview]
    | type[OptOutPreview],
] = {
    ExportPreview.type: ExportPreview,
    RectificationPreview.type: RectificationPreview,
    ErasurePreview.type: ErasurePreview,
    RestrictionPreview.type: RestrictionPreview,
    OptOutPreview.type: OptOutPreview,
}


def preview_from_json(data: Mapping[str, Any]) -> Preview:
    """Read a stored preview back; raises :class:`PlanError` when it is not one."""
    kind = data.get("type")
    reader = _PREVIEW_TYPES.get(str(kind))
    if reader is None:
        raise PlanError(f"unknown preview type {kind!r}", preview_type=str(kind))
    try:
        return reader.from_json(data)
    except (KeyError, TypeError, ValueError) as error:
        raise PlanError(f"malformed {kind} preview: {type(error).__name__}", preview_type=str(kind)) from error


ACTION_FOR_RIGHT: Mapping[Right, ActionKind] = {
    Right.ACCESS: ActionKind.EXPORT,
    Right.PORTABILITY: ActionKind.PORTABLE_EXPORT,
    Right.RECTIFICATION: ActionKind.RECTIFY,
    Right.ERASURE: ActionKind.ERASE,
    Right.RESTRICTION: ActionKind.RESTRICT,
    Right.MARKETING_OBJECTION: ActionKind.STOP_MARKETING,
    Right.CONSENT_WITHDRAWAL: ActionKind.WITHDRAW_CONSENT,
}
"""The action that carries out each right. Art. 21(1) objections to legitimate interests
have none: staff weigh compelling grounds first and decide by hand."""


@dataclass(frozen=True)
class PlannedAction:
    right: Right
    kind: ActionKind
    preview: Preview

    def stored_preview(self) -> dict[str, Any]:
        """What goes into ``actions.preview``: the preview plus the right it serves."""
        return {"right": str(self.right), **self.preview.to_json()}


@dataclass(frozen=True)
class RequestPlan:
    """Everything the planner decided for one request."""

    reference: str
    actions: tuple[PlannedAction, ...]
    unplanned: tuple[Right, ...] = ()
    """Rights asked for that need a person's judgement (e.g. Art. 21(1) objection)."""


@dataclass(frozen=True)
class ExportedPackage:
    """Where the copy was written and its SHA-256; delivery is the channels' business."""

    path: str
    sha256: str
    size: int
    sealed: ExportedPackage | None = None
    """The ASiC-E container holding this package under the controller's electronic seal
    (eIDAS Art. 35), when a seal is configured; it is what the person receives."""


@dataclass(frozen=True)
class ExecutionOutcome:
    """What an executed action did, for the audit log (``result``) and for the reply's facts.

    Ids refer to the controller profile; ``result`` holds counts per table only."""

    result: Mapping[str, Any]
    data_found: bool = True
    categories: tuple[str, ...] = ()
    purposes: tuple[str, ...] = ()
    retention_rules: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    """Art. 15(1)(c): recipients of this person's data (access replies)."""
    sources: tuple[str, ...] = ()
    """Art. 15(1)(g): sources of data not collected from the person."""
    kept: tuple[KeptRows, ...] = ()
    changes: tuple[ValueChange, ...] = ()
    notify: tuple[str, ...] = ()
    """Art. 19 recipients to tell (from the approved preview)."""
    subject_reference: str = ""
    """How recipients know the person (e.g. "customer 1042"), never a personal code."""
    package: ExportedPackage | None = None
