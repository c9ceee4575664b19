"""Daily prices from Yahoo Finance through yfinance, with failures classified.

Everything that touches yfinance goes through :class:`YFinanceClient`, one small
boundary object. Tests replace ``yfinance.Ticker`` (or pass their own client)
and feed it frames of yfinance's real output shape.

Why ``yf.Ticker(t).history`` and not ``yf.download``
----------------------------------------------------
* ``history(..., raise_errors=True)`` raises per ticker (rate limit, missing
  prices, transport errors); ``download`` logs failures and returns a 0-row
  frame, so a network outage and an unknown symbol look the same.
* One ticker per call matches the cache: each ticker needs its own date range
  and is written in its own transaction.
* The daily index is tz-aware at midnight exchange time, so
  ``idx.tz_localize(None).normalize()`` gives the exchange's session dates.

The parser (:func:`normalise_history`) also accepts ``download``'s shape
(MultiIndex columns ``['Price', 'Ticker']``), so a client built on
``download`` can be swapped in.

Failure classes (:func:`classify_failure`)
------------------------------------------
========================  ==========================================  ===========
kind                      typical cause                               goes to
========================  ==========================================  ===========
``NO_DATA``               unknown/delisted symbol, empty range        ``missing``
``RATE_LIMITED``          ``YFRateLimitError``, HTTP 429 (retried)    ``missing``
``NETWORK``               DNS/connection errors, timeouts             ``missing``
``AMBIGUOUS``             "no timezone found": probe the network      (re-classified)
``PROVIDER``              anything else (the exception text is kept)  ``missing``
========================  ==========================================  ===========

When *every* requested ticker failed with ``RATE_LIMITED`` or ``NETWORK``,
:meth:`YahooProvider.get_prices` raises :class:`~eventstudy.errors.DataUnavailable`
(exit code 75) instead of returning an empty :class:`PriceSet`.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import re
import socket
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.data.base import PriceSet
from eventstudy.errors import DataUnavailable

log = logging.getLogger(__name__)

#: yfinance column -> our column, in output order.
YF_COLUMNS: dict[str, str] = {
    "Adj Close": "adj_close",
    "Close": "close",
    "Open": "open",
    "High": "high",
    "Low": "low",
    "Volume": "volume",
    "Dividends": "dividends",
    "Stock Splits": "splits",
}
OUTPUT_COLUMNS: tuple[str, ...] = tuple(YF_COLUMNS.values())

_RATE_LIMIT_TEXT = re.compile(r"too many requests|rate[- ]limit|\b429\b")
_NETWORK_TEXT = (
    "could not resolve host",
    "name or service not known",
    "temporary failure in name resolution",
    "nodename nor servname",
    "dnserror",
    "failed to connect",
    "connection refused",
    "connection reset",
    "connection aborted",
    "network is unreachable",
    "no route to host",
    "timed out",
    "timeout was reached",
    "yahoo! finance is currently down",
)
_PROBE_HOST = ("query2.finance.yahoo.com", 443)


class FailureKind(enum.StrEnum):
    """How a Yahoo request ended (see the module docstring)."""

    OK = "ok"
    NO_DATA = "no_data"
    RATE_LIMITED = "rate_limited"
    NETWORK = "network"
    AMBIGUOUS = "ambiguous"
    PROVIDER = "provider"

    @property
    def transient(self) -> bool:
        """True for failures that a later rerun may not have (rate limit, network)."""
        return self in (FailureKind.RATE_LIMITED, FailureKind.NETWORK)


def _yf_exceptions() -> Any:
    import yfinance.exceptions as yfe

    return yfe


def _network_exception_types() -> tuple[type[BaseException], ...]:
    types: list[type[BaseException]] = [ConnectionError, TimeoutError, socket.gaierror]
    try:
        from curl_cffi.requests import exceptions as cx

        types += [cx.ConnectionError, cx.Timeout]
    except ImportError:  # pragma: no cover - curl_cffi comes with yfinance
        pass
    try:
        from requests import exceptions as rx

        types += [rx.ConnectionError, rx.Timeout]
    except ImportError:  # pragma: no cover
        pass
    return tuple(types)


def _status_code(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None)
    return code if isinstance(code, int) else None


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it was raised from, outermost first."""
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def classify_failure(obj: object, network_ok: bool | None = None) -> FailureKind:
    """Classify the outcome of one yfinance request.

    Parameters
    ----------
    obj
        What the request produced: a ``DataFrame`` (usable when it has at
        least one row with a price) or the exception it raised.
    network_ok
        Result of a connectivity probe, if one was made. Only used for
        yfinance's ``YFTzMissingError`` ("possibly delisted; no timezone
        found"), which yfinance also raises when the network is down: without
        a probe result that case is ``AMBIGUOUS``.

    Returns
    -------
    FailureKind
        ``OK`` for a non-empty frame, otherwise the failure class.
    """
    if isinstance(obj, pd.DataFrame):
        if obj.empty:
            return FailureKind.NO_DATA
        prices = obj.select_dtypes("number")
        return FailureKind.NO_DATA if prices.isna().all(axis=None) else FailureKind.OK
    if not isinstance(obj, BaseException):
        return FailureKind.PROVIDER
    yfe = _yf_exceptions()
    chain = _chain(obj)
    for exc in chain:
        if isinstance(exc, yfe.YFRateLimitError) or _status_code(exc) == 429:
            return FailureKind.RATE_LIMITED
    text = " ".join(str(e) for e in chain).lower()
    if _RATE_LIMIT_TEXT.search(text):
        return FailureKind.RATE_LIMITED
    network_types = _network_exception_types()
    if any(isinstance(e, network_types) for e in chain):
        return FailureKind.NETWORK
    if isinstance(obj, yfe.YFTzMissingError):
        if network_ok is None:
            return FailureKind.AMBIGUOUS
        return FailureKind.NO_DATA if network_ok else FailureKind.NETWORK
    if isinstance(obj, yfe.YFTickerMissingError):  # includes YFPricesMissingError
        return FailureKind.NO_DATA
    if any(t in text for t in _NETWORK_TEXT):
        return FailureKind.NETWORK
    return FailureKind.PROVIDER


def failure_message(
    kind: FailureKind,
    ticker: str,
    start: dt.date,
    end: dt.date,
    error: object = None,
    tries: int = 1,
) -> str:
    """The one-line reason recorded for a ticker that failed with ``kind``."""
    if kind is FailureKind.NO_DATA:
        return (
            f"Yahoo Finance has no prices for '{ticker}' between {start} and {end} "
            "(unknown or delisted symbol? check the ticker and its exchange suffix, "
            "e.g. MC.PA)"
        )
    if kind is FailureKind.RATE_LIMITED:
        return (
            f"'{ticker}': rate-limited by Yahoo Finance after {tries} tries; wait a few "
            "minutes and rerun (cached data is kept)"
        )
    if kind in (FailureKind.NETWORK, FailureKind.AMBIGUOUS):
        detail = f"{type(error).__name__}: {error}" if error is not None else "no response"
        return (
            f"'{ticker}': cannot reach Yahoo Finance (network down?): {detail}; "
            "rerun when online or use --offline/--prices"
        )
    detail = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error)
    return f"'{ticker}': Yahoo Finance request failed: {detail}"


def _to_date(value: dt.date | str | pd.Timestamp) -> dt.date:
    return pd.Timestamp(value).date()


def normalise_history(raw: pd.DataFrame, ticker: str) -> pd.DataFrame:
    """yfinance output -> our price frame.

    Accepts ``Ticker.history`` output (flat columns, tz-aware index at
    midnight exchange time) and ``download`` output (MultiIndex columns
    ``['Price', 'Ticker']``, tz-naive index). Returns float columns
    ``adj_close, close, open, high, low, volume, dividends, splits`` on a
    tz-naive, normalised, ascending, unique ``DatetimeIndex`` named ``date``;
    rows without an adjusted close are dropped. ``Adj Close`` is required:
    call yfinance with ``auto_adjust=False``.
    """
    frame = raw
    if isinstance(frame.columns, pd.MultiIndex):
        names = list(frame.columns.names)
        level = names.index("Ticker") if "Ticker" in names else frame.columns.nlevels - 1
        if ticker not in frame.columns.get_level_values(level):
            return _empty_frame()
        frame = pd.DataFrame(frame.xs(ticker, axis=1, level=level))
    if frame.empty:
        return _empty_frame()
    if "Adj Close" not in frame.columns:
        raise ValueError(
            f"yfinance returned no 'Adj Close' column for '{ticker}' (columns: "
            f"{list(frame.columns)}); call it with auto_adjust=False"
        )
    idx = pd.DatetimeIndex(frame.index)
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    out = pd.DataFrame(
        {
            ours: pd.to_numeric(frame[theirs], errors="coerce").to_numpy(dtype=float)
            if theirs in frame.columns
            else np.nan
            for theirs, ours in YF_COLUMNS.items()
        },
        index=pd.DatetimeIndex(idx.normalize().as_unit("ns"), name="date"),
    )
    out = out[out["adj_close"].notna()]
    out = out[~out.index.duplicated(keep="first")].sort_index()
    return out


def _empty_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype=float) for c in OUTPUT_COLUMNS},
        index=pd.DatetimeIndex([], dtype="datetime64[ns]", name="date"),
    )


def _probe_yahoo(timeout: float = 5.0) -> bool:
    """True when a TCP connection to Yahoo's API host can be opened."""
    try:
        with socket.create_connection(_PROBE_HOST, timeout=timeout):
            return True
    except OSError:
        return False


class ProviderTimeout(TimeoutError):
    """Yahoo did not answer one request within the wall-clock limit (a network failure)."""


def within(seconds: float, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, or :class:`ProviderTimeout` after ``seconds`` of wall time.

    yfinance's own ``timeout`` bounds each HTTP read, not a whole request (cookie,
    crumb, retries, a server that trickles bytes), so a request could hang a batch
    run for ever. The call runs in a daemon thread; one that never returns is left
    behind (it cannot be killed) and does not keep the process alive.
    """
    box: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name="eventstudy-yahoo", daemon=True).start()
    if not done.wait(seconds):
        from eventstudy.limits import hint

        raise ProviderTimeout(
            f"no answer from Yahoo Finance within {seconds:g} s {hint('YAHOO_SECONDS')}"
        )
    if "error" in box:
        raise box["error"]
    return box["value"]


class YFinanceClient:
    """The only object that calls yfinance.

    Parameters
    ----------
    probe
        Connectivity check used to tell "unknown symbol" from "network down"
        when yfinance says "no timezone found"; default: open a TCP
        connection to ``query2.finance.yahoo.com:443``.
    timeout
        Seconds yfinance waits for each HTTP read.
    deadline
        Wall-clock seconds one request (one ticker, or one chunk of minute bars)
        may take in all; default the limit ``YAHOO_SECONDS``
        (``EVENTSTUDY_LIMIT_YAHOO_SECONDS``, 120). Past it the request fails as a
        network failure (:class:`ProviderTimeout`).
    """

    def __init__(
        self,
        probe: Callable[[], bool] | None = None,
        timeout: float = 20.0,
        deadline: float | None = None,
    ):
        from eventstudy.limits import limit

        self._probe = probe or _probe_yahoo
        self.timeout = timeout
        self.deadline = float(deadline if deadline is not None else limit("YAHOO_SECONDS"))

    def history(self, ticker: str, start: dt.date, end: dt.date) -> pd.DataFrame:
        """Daily bars of ``ticker`` for ``[start, end]`` (``end`` inclusive).

        yfinance's ``end`` is exclusive, so ``end + 1 day`` is passed on.
        ``raise_errors=True`` makes failures raise instead of being logged;
        yfinance 1.7 marks it deprecated in favour of the process-wide
        ``yf.config.debug.hide_exceptions``, which we leave alone, so the
        ``DeprecationWarning`` is silenced here.
        """
        return self._history(
            ticker,
            start=start.isoformat(),
            end=(end + dt.timedelta(days=1)).isoformat(),
            interval="1d",
            actions=True,
        )

    def intraday_history(
        self, ticker: str, start_utc: pd.Timestamp, end_utc: pd.Timestamp, interval: str
    ) -> pd.DataFrame:
        """Intraday bars of ``ticker`` starting in ``[start_utc, end_utc)``, with pre- and
        post-market trading (``prepost=True``).

        yfinance returns a ``Datetime`` index, tz-aware in the exchange's zone,
        and columns ``Open High Low Close Adj Close Volume``. Yahoo's limits
        per interval are in :data:`eventstudy.data.yahoo_intraday.INTERVALS`.
        """
        return self._history(
            ticker,
            start=pd.Timestamp(start_utc).to_pydatetime(),
            end=pd.Timestamp(end_utc).to_pydatetime(),
            interval=interval,
            prepost=True,
            actions=False,
        )

    def _history(self, ticker: str, **kwargs: Any) -> pd.DataFrame:
        """``yf.Ticker(ticker).history(**kwargs)`` unadjusted, raising on failure, under
        the per-read ``timeout`` and the whole-request ``deadline`` (:func:`within`)."""
        import yfinance as yf

        def request() -> pd.DataFrame:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", category=DeprecationWarning)
                return yf.Ticker(ticker).history(
                    auto_adjust=False, raise_errors=True, timeout=self.timeout, **kwargs
                )

        return within(self.deadline, request)

    def reachable(self) -> bool:
        """True when Yahoo Finance answers on the network."""
        return bool(self._probe())


@dataclass
class FetchOutcome:
    """Result of one ticker's request: a frame, or a failure kind and reason."""

    ticker: str
    kind: FailureKind
    frame: pd.DataFrame | None = None
    reason: str = ""
    tries: int = 1
    error: BaseException | None = None


class YahooPriceSet(PriceSet):
    """A :class:`PriceSet` that also says how each missing ticker failed (``failures``)."""

    def __init__(
        self, *args: Any, failures: dict[str, FailureKind] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.failures: dict[str, FailureKind] = dict(failures or {})


class YahooProvider:
    """Daily prices from Yahoo Finance (``Adj Close`` for returns).

    Parameters
    ----------
    retries
        Extra attempts after a rate-limited one (``retries + 1`` tries in all).
    backoff, max_backoff
        The ``k``-th retry (``k = 0, 1, ...``) waits
        ``min(max_backoff, backoff * 2**k * (1 + u/4))`` seconds with
        ``u ~ U[0, 1)`` drawn from ``rng``.
    sleep
        Called with each delay (inject a fake in tests).
    rng
        ``numpy.random.Generator`` for the jitter (default: a fresh one).
    client
        The yfinance boundary (default :class:`YFinanceClient`).

    Once a ticker fails for network or rate-limit reasons (after its retries),
    the remaining tickers of the same call are not requested: they get the
    same reason, so an outage costs one timeout rather than one per ticker.
    """

    def __init__(
        self,
        retries: int = 4,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        sleep: Callable[[float], Any] = time.sleep,
        rng: np.random.Generator | None = None,
        client: YFinanceClient | None = None,
    ):
        if retries < 0:
            raise ValueError(f"retries must be >= 0, got {retries}")
        self.retries = int(retries)
        self.backoff = float(backoff)
        self.max_backoff = float(max_backoff)
        self._sleep = sleep
        self._rng = rng if rng is not None else np.random.default_rng()
        self.client = client if client is not None else YFinanceClient()

    @property
    def description(self) -> str:
        """Where the prices come from, for ``run.json`` and reports."""
        from importlib.metadata import PackageNotFoundError, version

        try:
            ver = version("yfinance")
        except PackageNotFoundError:  # pragma: no cover
            ver = "?"
        return f"Yahoo Finance via yfinance {ver} (Adj Close)"

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        base = self.backoff * 2.0**attempt
        return float(min(self.max_backoff, base * (1.0 + 0.25 * self._rng.random())))

    def fetch_one(self, ticker: str, start: dt.date, end: dt.date) -> FetchOutcome:
        """Request one ticker, retrying rate limits; never raises for Yahoo failures."""
        tries = 0
        while True:
            tries += 1
            try:
                raw: object = self.client.history(ticker, start, end)
            except Exception as exc:
                raw = exc
            kind = FailureKind.OK
            frame: pd.DataFrame | None = None
            if isinstance(raw, pd.DataFrame):
                try:
                    frame = normalise_history(raw, ticker)
                except Exception as exc:
                    raw = exc
            if frame is not None:
                frame = frame.loc[pd.Timestamp(start) : pd.Timestamp(end)]
                kind = classify_failure(frame)
            else:
                kind = classify_failure(raw)
                if kind is FailureKind.AMBIGUOUS:
                    kind = classify_failure(raw, network_ok=self.client.reachable())
            if kind is FailureKind.RATE_LIMITED and tries <= self.retries:
                wait = self.delay(tries - 1)
                log.info("%s: rate-limited by Yahoo; retry %d in %.1fs", ticker, tries, wait)
                self._sleep(wait)
                continue
            if kind is FailureKind.OK:
                return FetchOutcome(ticker, kind, frame=frame, tries=tries)
            error = raw if isinstance(raw, BaseException) else None
            reason = failure_message(kind, ticker, start, end, error, tries)
            return FetchOutcome(ticker, kind, reason=reason, tries=tries, error=error)

    def get_prices(self, tickers: Sequence[str], start: dt.date, end: dt.date) -> YahooPriceSet:
        """Prices of ``tickers`` for sessions in ``[start, end]`` (both inclusive).

        Raises
        ------
        DataUnavailable
            When every ticker failed because of rate limits or the network.
        """
        start, end = _to_date(start), _to_date(end)
        result = YahooPriceSet(source=self.description)
        outage: FetchOutcome | None = None
        for ticker in dict.fromkeys(tickers):
            if outage is not None:
                result.missing[ticker] = f"'{ticker}': not requested because {outage.reason}"
                result.failures[ticker] = outage.kind
                continue
            out = self.fetch_one(ticker, start, end)
            if out.kind is FailureKind.OK and out.frame is not None:
                result.add(ticker, out.frame)
                result.return_column[ticker] = "Adj Close"
                continue
            result.missing[ticker] = out.reason
            result.failures[ticker] = out.kind
            if out.kind.transient:
                outage = out
        if (
            result.missing
            and not result.frames
            and all(k.transient for k in result.failures.values())
        ):
            raise DataUnavailable(next(iter(result.missing.values())))
        return result
