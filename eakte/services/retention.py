"""The retention clock and the scheduled run that proposes due case files for disposition.

A closed case file is due once its `retain_until` day has passed. The run
(`eakte retention run`, cron-able) proposes every due file that has no active
legal hold and is not already in an undecided proposal, grouped per file plan
node and disposition. It is idempotent (a second run finds nothing new) and
safe on several nodes at once: on PostgreSQL it takes an advisory lock, and a
partial unique index allows each case file in only one undecided proposal.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Exists, Select, and_, exists, select, text
from sqlalchemy.orm import Session

from eakte.errors import InvalidInputError
from eakte.models import (
    CaseFile,
    DispositionItem,
    DispositionProposal,
    FilePlanNode,
    ProposalApproval,
)
from eakte.models.permissions import Access
from eakte.models.retention import is_held
from eakte.models.vocabulary import CaseFileStatus, GlobalRole, ItemState, ProposalStatus
from eakte.retention.policy import retain_until
from eakte.services import access, audit
from eakte.services.context import Context
from eakte.services.pagination import Page, paginate

RUN_LOCK = 0x65616B7466  # the PostgreSQL advisory lock of the retention run
UNDECIDED = (ProposalStatus.PENDING, ProposalStatus.EXECUTING, ProposalStatus.AWAITING_ARCHIVE)


def _due(as_of: dt.date) -> Select[CaseFile]:
    """Closed case files whose retention has run out by `as_of`, held or not."""
    return select(CaseFile).where(
        CaseFile.status == CaseFileStatus.CLOSED.value, CaseFile.retain_until < as_of
    )


# A file in one of these states waits for its disposition: proposed, or handed
# to the archive and destroyed once it confirms.
PENDING_ITEM_STATES = (ItemState.PROPOSED.value, ItemState.EXPORTED.value)


def _in_undecided_proposal() -> Exists:
    return exists().where(
        DispositionItem.case_file_id == CaseFile.id,
        DispositionItem.state.in_(PENDING_ITEM_STATES),
    )


def pending_disposition(session: Session, case_file_id: uuid.UUID) -> DispositionItem | None:
    """The case file's place in an undecided proposal (pending, executing, at the archive)."""
    return session.scalar(
        select(DispositionItem)
        .where(
            DispositionItem.case_file_id == case_file_id,
            DispositionItem.state.in_(PENDING_ITEM_STATES),
        )
        .limit(1)
    )


def _rejected_for_this_date() -> Exists:
    """A rejection holds until the file's retention date changes (new rule, reopened)."""
    return exists().where(
        DispositionItem.case_file_id == CaseFile.id,
        DispositionItem.state == ItemState.REJECTED.value,
        DispositionItem.retain_until == CaseFile.retain_until,
    )


@dataclass(frozen=True)
class DueFile:
    case_file: CaseFile
    held: bool
    proposed: bool
    title: str | None  # None: confidential, and the caller may not read the file


def visible_title(ctx: Context, case_file: CaseFile) -> str | None:
    """Titles name people; a confidential one only for whoever may read the file."""
    if not case_file.confidential:
        return case_file.title
    readable = access.access_to_case_file(ctx, case_file) >= Access.READ
    return case_file.title if readable else None


def list_due(
    ctx: Context, *, as_of: dt.date | None, limit: int, cursor: str | None
) -> Page[DueFile]:
    """Files due as of the day (today by default), with their hold and proposal state."""
    action = "retention.due"
    access.require_global_role(ctx, GlobalRole.RECORDS_MANAGER, action)
    day = as_of or ctx.today()
    page = paginate(
        ctx.session, _due(day), [CaseFile.retain_until, CaseFile.id], limit=limit, cursor=cursor
    )
    ids = [case_file.id for case_file in page.items]
    held = set(
        ctx.session.scalars(select(CaseFile.id).where(CaseFile.id.in_(ids), is_held(CaseFile.id)))
    )
    proposed = set(
        ctx.session.scalars(
            select(CaseFile.id).where(CaseFile.id.in_(ids), _in_undecided_proposal())
        )
    )
    items = [DueFile(c, c.id in held, c.id in proposed, visible_title(ctx, c)) for c in page.items]
    audit.record(ctx, action, details={"as_of": day.isoformat(), "count": len(items)})
    ctx.commit()
    return Page(items, page.next)


@dataclass
class RunResult:
    as_of: dt.date
    dry_run: bool
    proposals: list[uuid.UUID] = field(default_factory=list)
    proposed: int = 0
    held: int = 0


def run_retention(
    ctx: Context,
    *,
    as_of: dt.date | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Propose every due, unheld, not yet proposed file; one proposal per node and disposition."""
    action = "retention.run"
    access.require_global_role(ctx, GlobalRole.RECORDS_MANAGER, action)
    today = ctx.today()
    day = as_of or today
    if day > today and not dry_run:
        # A future day would only make proposals that must not execute yet; a
        # preview (dry run) may look ahead.
        raise audit.deny(
            ctx,
            action,
            InvalidInputError(
                f"as_of {day.isoformat()} lies after today ({today.isoformat()}); "
                "a run may look ahead only as a dry run",
                errors={"as_of": ["must not lie in the future (except for a dry run)"]},
            ),
        )
    if ctx.session.get_bind().dialect.name == "postgresql":
        ctx.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RUN_LOCK})
    result = RunResult(day, dry_run)
    result.held = len(ctx.session.scalars(_due(day).where(is_held(CaseFile.id))).all())
    due = ctx.session.scalars(
        _due(day)
        .where(~is_held(CaseFile.id), ~_in_undecided_proposal(), ~_rejected_for_this_date())
        .order_by(CaseFile.file_plan_node_id, CaseFile.reference)
    ).all()
    groups: dict[tuple[uuid.UUID, str], list[CaseFile]] = {}
    for case_file in due:
        node = case_file.file_plan_node
        groups.setdefault((node.id, node.disposition), []).append(case_file)
    result.proposed = len(due)
    if dry_run:
        ctx.session.rollback()
        return result
    done = 0
    for (node_id, disposition), files in groups.items():
        proposal = propose(ctx, node_id, disposition, files, as_of=day)
        result.proposals.append(proposal.id)
        done += len(files)
        if progress is not None:
            progress(done, len(due))
    audit.record(
        ctx,
        action,
        details={
            "as_of": day.isoformat(),
            "proposed": result.proposed,
            "held": result.held,
            "proposals": [str(p) for p in result.proposals],
        },
    )
    ctx.commit()
    return result


def propose(
    ctx: Context, node_id: uuid.UUID, disposition: str, files: list[CaseFile], *, as_of: dt.date
) -> DispositionProposal:
    """A proposal in the caller's transaction; a person's proposal counts as their approval."""
    proposal = DispositionProposal(
        file_plan_node_id=node_id,
        disposition=disposition,
        as_of=as_of,
        created_at=ctx.now(),
        created_by_id=ctx.actor_id,
    )
    ctx.session.add(proposal)
    ctx.session.flush()
    for case_file in files:
        ctx.session.add(
            DispositionItem(
                proposal_id=proposal.id,
                case_file_id=case_file.id,
                reference=case_file.reference,
                retain_until=case_file.retain_until,
            )
        )
    if ctx.actor_id is not None:
        ctx.session.add(
            ProposalApproval(
                proposal_id=proposal.id, principal_id=ctx.actor_id, approved_at=ctx.now()
            )
        )
    ctx.session.flush()
    audit.record(
        ctx,
        "disposition.propose",
        object_type="disposition_proposal",
        object_id=proposal.id,
        details={
            "disposition": disposition,
            "file_plan": files[0].file_plan_node.code if files else None,
            "references": [case_file.reference for case_file in files],
        },
    )
    return proposal


def reevaluate_node(ctx: Context, node: FilePlanNode) -> int:
    """After a rule change: recompute the retention date of every closed file under `node`."""
    zone = ctx.ports.timezone
    changed = 0
    for case_file in ctx.session.scalars(
        select(CaseFile).where(
            and_(
                CaseFile.file_plan_node_id == node.id,
                CaseFile.status == CaseFileStatus.CLOSED.value,
                CaseFile.closed_at.is_not(None),
            )
        )
    ):
        assert case_file.closed_at is not None  # selected above
        closed_on = case_file.closed_at.astimezone(zone).date()
        new_date = retain_until(closed_on, node.retention_years)
        if new_date != case_file.retain_until:
            case_file.retain_until = new_date
            changed += 1
    return changed
