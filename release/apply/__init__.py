"""`release apply`: carry a plan out on the Hub, in order, atomically per revision, resumably.

    observed = check_stale(plan, reader)          # saved plans: refuse if the Hub moved
    result = Applier(plan, writer, reader.tree, observed).run()
    print(result.to_json())

The applier is the only code that writes to the Hub (through `release.hub.write.HubWriter`).
"""

from __future__ import annotations

from release.apply.result import ApplyResult, ChangeResult
from release.apply.runner import DEFAULT_PARALLELISM, Applier, ApplyEvents, check_stale

__all__ = ["DEFAULT_PARALLELISM", "Applier", "ApplyEvents", "ApplyResult", "ChangeResult",
           "check_stale"]
