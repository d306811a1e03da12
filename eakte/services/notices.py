"""E-mail notices of the Geschäftsgang, through the `notice` outbox the worker drains.

A notice carries the task kind, the Aktenzeichen and a link, never a title, a name
or content. These hooks run inside the use case's transaction: a notice exists iff
its task or routing change committed.
"""

from __future__ import annotations

from eakte.models import Routing, Task
from eakte.services.context import Context


def task_opened(ctx: Context, task: Task) -> None:
    """A task reached its inbox (at once, or on its `visible_from` day): tell the
    assignee (or the holders of its department role), immediately or in the digest."""


def routing_ended(ctx: Context, routing: Routing) -> None:
    """The routing completed, was rejected or superseded: tell its starter."""
