"""Rate limits per client address: failed sign-ins, failed bearer tokens, optionally all calls.

The failure limits only ever touch failing attempts: the caller authenticates
first, and only a failure from an address over its limit is answered 429
instead of 401 (`refuse_failure`). A valid token or the right password always
gets through, so one misconfigured app behind a town hall's NAT cannot lock
out everyone else behind it.

A sliding window in this process's memory. With several app nodes behind a
load balancer each node counts for itself, so an address gets at most
`nodes × limit` attempts per window; docs/security.md says why that is enough
here (the per-account lockout in `passwords` lives in the database and is
shared) and how a shared store would plug in. Times come from the caller
(`ctx.now()`), so tests move a clock instead of sleeping.

Addresses are keys as they are, except IPv6, which counts per /64: one
subscriber usually holds a whole /64 and could otherwise rotate through it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass

from eakte.config import Settings
from eakte.errors import TooManyRequestsError
from eakte.services import audit
from eakte.services.context import Context

# Beyond this many tracked addresses the longest-quiet ones are forgotten, so that
# a flood from many addresses cannot grow the process without bound.
MAX_KEYS = 100_000


class SlidingWindow:
    """At most `limit` events per key within `window`; thread-safe, in this process only."""

    def __init__(self, limit: int, window: dt.timedelta, *, max_keys: int = MAX_KEYS) -> None:
        self.limit = limit
        self.window = window
        self._max_keys = max_keys
        self._events: OrderedDict[str, deque[dt.datetime]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def retry_after(self, key: str, now: dt.datetime) -> int:
        """Whole seconds until `key` may try again; 0 while it is under its limit."""
        if not self.enabled:
            return 0
        with self._lock:
            events = self._recent(key, now)
            if events is None or len(events) < self.limit:
                return 0
            # The oldest of the last `limit` events has to leave the window first.
            free_at = events[len(events) - self.limit] + self.window
        return max(1, math.ceil((free_at - now).total_seconds()))

    def add(self, key: str, now: dt.datetime) -> None:
        if not self.enabled:
            return
        with self._lock:
            events = self._recent(key, now)
            if events is None:
                events = self._events[key] = deque(maxlen=self.limit)
            events.append(now)
            self._events.move_to_end(key)
            while len(self._events) > self._max_keys:
                self._events.popitem(last=False)

    def _recent(self, key: str, now: dt.datetime) -> deque[dt.datetime] | None:
        events = self._events.get(key)
        if events is None:
            return None
        while events and events[0] <= now - self.window:
            events.popleft()
        if not events:
            del self._events[key]
            return None
        return events


@dataclass(frozen=True)
class Throttles:
    """The app's limits, built once from the settings (`create_app`)."""

    sign_in_failures: SlidingWindow
    token_failures: SlidingWindow
    api_requests: SlidingWindow

    @classmethod
    def from_settings(cls, settings: Settings) -> Throttles:
        failures = dt.timedelta(seconds=settings.auth_failure_window_seconds)
        return cls(
            sign_in_failures=SlidingWindow(settings.sign_in_failures_per_address, failures),
            token_failures=SlidingWindow(settings.token_failures_per_address, failures),
            api_requests=SlidingWindow(settings.api_requests_per_minute, dt.timedelta(minutes=1)),
        )


def client_key(address: str | None) -> str:
    """What one client is: its address, or its /64 for IPv6."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def guard(ctx: Context, window: SlidingWindow, action: str) -> None:
    """Refuse (audited, 429) while this caller's address is over `window`'s limit.

    For limits on every request; a failure limit goes through `refuse_failure`."""
    wait = window.retry_after(client_key(ctx.client_address), ctx.now())
    if wait:
        raise audit.deny(
            ctx,
            action,
            TooManyRequestsError(
                f"too many attempts from this address; try again in {wait} seconds",
                retry_after=wait,
            ),
        )


def refuse_failure(ctx: Context, window: SlidingWindow, action: str) -> None:
    """After a failed authentication: 429 (audited) if the address is over its failure
    limit, else count the failure and let the caller answer 401.

    Attempts refused here are not counted, so the wait the answer names holds.
    """
    guard(ctx, window, action)
    count(ctx, window)


def count(ctx: Context, window: SlidingWindow) -> None:
    """One more event (a failure, or a request) for this caller's address."""
    window.add(client_key(ctx.client_address), ctx.now())
