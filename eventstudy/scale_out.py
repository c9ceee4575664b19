"""Blocks of placebo trials, computed here or on a Dask distributed cluster.

The pseudo-events are drawn once, by the caller; the trials are then split
into blocks of consecutive trials and each block's events are computed by
:func:`eventstudy.trials.compute_trials`. A trial's numbers depend only on
its own events, so any split, here or on Dask workers, gives the same
rejection rates as one local pass for the same seed.

Dask (the ``dask`` extra) is imported only when asked for: ``scheduler`` is
the address of a running scheduler (``tcp://HOST:PORT``), ``workers`` the
number of worker processes of a :class:`dask.distributed.LocalCluster`
started for the run. The prices are sent to the workers once
(``Client.scatter(..., broadcast=True)``).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.errors import SettingsError

logger = logging.getLogger(__name__)

#: Trials per block on a Dask cluster (a block is one task).
BLOCK_TRIALS = 100


def trial_blocks(trials: int, scheduler: str | None, workers: int | None) -> list[range]:
    """Consecutive blocks of trial numbers: one block locally, about ``4 x workers``
    (at most :data:`BLOCK_TRIALS` trials each) on a cluster."""
    if not scheduler and not workers:
        return [range(trials)]
    parts = 4 * int(workers) if workers else 16
    size = max(1, min(BLOCK_TRIALS, -(-trials // parts)))
    return [range(a, min(a + size, trials)) for a in range(0, trials, size)]


def _in_block(
    events: pd.DataFrame, trial: np.ndarray, block: range
) -> tuple[pd.DataFrame, np.ndarray]:
    """The events of ``block``'s trials and their trial numbers."""
    keep = (trial >= block.start) & (trial < block.stop)
    return events[keep], trial[keep]


def _block(
    events: pd.DataFrame,
    trial: np.ndarray,
    block: range,
    prices: Any,
    settings: Any,
    factors: pd.DataFrame | None,
) -> Any:
    """The :class:`~eventstudy.trials.TrialTests` of one block's events (from
    :func:`_in_block`), trials renumbered from 0."""
    from eventstudy import event_time
    from eventstudy.trials import compute_trials

    return compute_trials(
        events,
        trial - block.start,
        len(block),
        prices,
        settings,
        event_time.sessions,
        _xnys_fallback,
        factors,
    )


def _xnys_fallback(symbol: str) -> str:
    from eventstudy.study import _safe_benchmark_mic

    return _safe_benchmark_mic(symbol, "XNYS")


def compute_blocks(
    events: pd.DataFrame,
    trial: np.ndarray,
    blocks: list[range],
    prices: Any,
    settings: Any,
    factors: pd.DataFrame | None,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
) -> Any:
    """Every block's tests, joined in trial order into one
    :class:`~eventstudy.trials.TrialTests`."""
    if scheduler or workers:
        parts = _on_dask(events, trial, blocks, prices, settings, factors, scheduler, workers)
    else:
        parts = [_block(*_in_block(events, trial, b), b, prices, settings, factors) for b in blocks]
    return _join(parts, blocks)


def _join(parts: list[Any], blocks: list[range]) -> Any:
    from eventstudy.trials import TrialTests

    if len(parts) == 1:
        return parts[0]
    return TrialTests(
        p=np.concatenate([p.p for p in parts]),
        event_p=np.concatenate([p.event_p for p in parts]),
        event_sq=np.concatenate([p.event_sq for p in parts]),
        event_trial=np.concatenate(
            [p.event_trial + b.start for p, b in zip(parts, blocks, strict=True)]
        ),
        ok=np.concatenate([p.ok for p in parts]),
    )


def _on_dask(
    events: pd.DataFrame,
    trial: np.ndarray,
    blocks: list[range],
    prices: Any,
    settings: Any,
    factors: pd.DataFrame | None,
    scheduler: str | None,
    workers: int | None,
) -> list[Any]:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise SettingsError(
            "--scheduler/--workers need Dask: pip install 'eventstudy[dask]'"
        ) from exc
    cluster = None
    if scheduler:
        client = Client(scheduler, timeout="30s")
    else:
        if int(workers or 0) < 1:
            raise SettingsError(f"--workers must be at least 1, got {workers}")
        cluster = LocalCluster(
            n_workers=int(workers or 1),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
    try:
        logger.info("placebo: %d blocks on %s", len(blocks), client.scheduler_info()["address"])
        remote_prices = client.scatter(prices, broadcast=True)
        futures = []
        for b in blocks:
            futures.append(
                client.submit(
                    _block,
                    *_in_block(events, trial, b),
                    b,
                    remote_prices,
                    settings,
                    factors,
                    pure=False,
                )
            )
        return list(client.gather(futures))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
