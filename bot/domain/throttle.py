"""Token buckets: how often one client may ask, on average and in a burst.

Pure: the time is passed in (seconds on a monotonic clock). Used by the web app's guard
(handlers/web/guard.py) for the public endpoints, keyed by the client's address.
"""

from __future__ import annotations


class Buckets:
    """Per key, RATE tokens a second up to BURST; each request takes one or is refused."""

    PRUNE_AT = 10_000  # keys kept before those whose bucket has refilled are forgotten

    def __init__(self, rate: float, burst: int):
        self.rate = rate
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, when counted)

    def take(self, key: str, at: float) -> float:
        """Takes a token from KEY's bucket at AT; returns 0.0 if it had one, else the seconds
        until it has (the request is refused and takes nothing)."""
        tokens, since = self._buckets.get(key, (self.burst, at))
        tokens = min(self.burst, tokens + max(0.0, at - since) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, at)
            if len(self._buckets) > self.PRUNE_AT:
                self._prune(at)
            return 0.0
        self._buckets[key] = (tokens, at)
        return (1.0 - tokens) / self.rate

    def _prune(self, at: float) -> None:
        """Forgets the keys whose bucket is full again: a new bucket starts full anyway."""
        full = [
            key
            for key, (tokens, since) in self._buckets.items()
            if tokens + (at - since) * self.rate >= self.burst
        ]
        for key in full:
            del self._buckets[key]
