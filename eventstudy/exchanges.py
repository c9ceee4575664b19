"""Exchanges: which calendar, time zone and default benchmark a ticker has.

The Yahoo Finance suffix of a ticker names its exchange (``MC.PA`` -> Euronext
Paris, ``XPAR``); no suffix means a US listing (``XNYS``). Index symbols
(``^GSPC``, ``^FCHI``) trade on the calendar of their home exchange.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from eventstudy.errors import InputError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Exchange:
    """A stock exchange: its calendar code, time zone and default benchmark.

    Attributes
    ----------
    mic : str
        ISO 10383 market identifier, the ``exchange_calendars`` calendar name.
    tz : str
        IANA time zone of the exchange (the calendar's own zone).
    default_benchmark : str
        Yahoo Finance symbol of the market index used when an event gives none.
    name : str
        Human-readable name for reports.
    """

    mic: str
    tz: str
    default_benchmark: str
    name: str


_US = Exchange("XNYS", "America/New_York", "^GSPC", "New York Stock Exchange / Nasdaq (US)")

#: Yahoo Finance ticker suffix -> exchange. ``""`` is a US ticker without suffix.
EXCHANGES: dict[str, Exchange] = {
    "": _US,
    ".PA": Exchange("XPAR", "Europe/Paris", "^FCHI", "Euronext Paris"),
    ".L": Exchange("XLON", "Europe/London", "^FTSE", "London Stock Exchange"),
    ".DE": Exchange("XETR", "Europe/Berlin", "^GDAXI", "Deutsche Boerse Xetra"),
    ".AS": Exchange("XAMS", "Europe/Amsterdam", "^AEX", "Euronext Amsterdam"),
    ".BR": Exchange("XBRU", "Europe/Brussels", "^BFX", "Euronext Brussels"),
    ".LS": Exchange("XLIS", "Europe/Lisbon", "PSI20.LS", "Euronext Lisbon"),
    ".IR": Exchange("XDUB", "Europe/Dublin", "^ISEQ", "Euronext Dublin"),
    ".MI": Exchange("XMIL", "Europe/Rome", "FTSEMIB.MI", "Borsa Italiana (Milan)"),
    ".MC": Exchange("XMAD", "Europe/Madrid", "^IBEX", "Bolsa de Madrid"),
    ".SW": Exchange("XSWX", "Europe/Zurich", "^SSMI", "SIX Swiss Exchange"),
    ".VI": Exchange("XWBO", "Europe/Vienna", "^ATX", "Wiener Boerse"),
    ".ST": Exchange("XSTO", "Europe/Stockholm", "^OMX", "Nasdaq Stockholm"),
    ".CO": Exchange("XCSE", "Europe/Copenhagen", "^OMXC25", "Nasdaq Copenhagen"),
    ".HE": Exchange("XHEL", "Europe/Helsinki", "^OMXH25", "Nasdaq Helsinki"),
    ".OL": Exchange("XOSL", "Europe/Oslo", "OBX.OL", "Oslo Boers"),
    ".WA": Exchange("XWAR", "Europe/Warsaw", "WIG20.WA", "Warsaw Stock Exchange"),
    ".IS": Exchange("XIST", "Europe/Istanbul", "XU100.IS", "Borsa Istanbul"),
    ".TO": Exchange("XTSE", "America/Toronto", "^GSPTSE", "Toronto Stock Exchange"),
    ".SA": Exchange("BVMF", "America/Sao_Paulo", "^BVSP", "B3 (Sao Paulo)"),
    ".MX": Exchange("XMEX", "America/Mexico_City", "^MXX", "Bolsa Mexicana de Valores"),
    ".T": Exchange("XTKS", "Asia/Tokyo", "^N225", "Tokyo Stock Exchange"),
    ".HK": Exchange("XHKG", "Asia/Hong_Kong", "^HSI", "Hong Kong Exchanges"),
    ".KS": Exchange("XKRX", "Asia/Seoul", "^KS11", "Korea Exchange (KOSPI)"),
    ".TW": Exchange("XTAI", "Asia/Taipei", "^TWII", "Taiwan Stock Exchange"),
    ".SI": Exchange("XSES", "Asia/Singapore", "^STI", "Singapore Exchange"),
    ".BO": Exchange("XBOM", "Asia/Kolkata", "^BSESN", "BSE (Bombay)"),
    ".NS": Exchange("XBOM", "Asia/Kolkata", "^NSEI", "NSE India (on the BSE calendar XBOM)"),
    ".AX": Exchange("XASX", "Australia/Sydney", "^AXJO", "Australian Securities Exchange"),
    ".NZ": Exchange("XNZE", "Pacific/Auckland", "^NZ50", "New Zealand Exchange"),
}

#: Index (and index-fund) symbols -> the suffix of the exchange whose calendar they follow.
_INDEX_SUFFIX: dict[str, str] = {
    **dict.fromkeys(
        [
            "^GSPC",
            "^DJI",
            "^IXIC",
            "^NDX",
            "^RUT",
            "^NYA",
            "^VIX",
            "^W5000",
            "^SP500TR",
            "^SP400",
            "^SP600",
            "SPY",
            "IVV",
            "VOO",
            "QQQ",
            "DIA",
            "IWM",
            "VTI",
        ],
        "",
    ),
    "^FCHI": ".PA",
    "^SBF120": ".PA",
    "^FTSE": ".L",
    "^FTMC": ".L",
    "^GDAXI": ".DE",
    "^MDAXI": ".DE",
    "^TECDAX": ".DE",
    "^AEX": ".AS",
    "^BFX": ".BR",
    "PSI20.LS": ".LS",
    "^ISEQ": ".IR",
    "FTSEMIB.MI": ".MI",
    "^IBEX": ".MC",
    "^SSMI": ".SW",
    "^ATX": ".VI",
    "^OMX": ".ST",
    "^OMXC25": ".CO",
    "^OMXH25": ".HE",
    "OBX.OL": ".OL",
    "WIG20.WA": ".WA",
    "XU100.IS": ".IS",
    "^GSPTSE": ".TO",
    "^BVSP": ".SA",
    "^MXX": ".MX",
    "^N225": ".T",
    "^HSI": ".HK",
    "^KS11": ".KS",
    "^TWII": ".TW",
    "^STI": ".SI",
    "^BSESN": ".BO",
    "^NSEI": ".NS",
    "^AXJO": ".AX",
    "^AORD": ".AX",
    "^NZ50": ".NZ",
}

#: Index symbol -> exchange whose sessions the index follows.
INDEX_EXCHANGES: dict[str, Exchange] = {sym: EXCHANGES[sfx] for sym, sfx in _INDEX_SUFFIX.items()}

_SUFFIX_RE = re.compile(r"\.([A-Z]{1,3})$")


def _known_suffixes() -> str:
    return ", ".join(s for s in EXCHANGES if s)


def exchange_for_ticker(ticker: str) -> Exchange:
    """Return the exchange whose calendar a Yahoo Finance symbol follows.

    Index symbols (``^GSPC``, ``FTSEMIB.MI``) are looked up in
    :data:`INDEX_EXCHANGES`; other symbols by their suffix in :data:`EXCHANGES`.
    A symbol without suffix, or with a one-letter share-class suffix that is not
    an exchange (``BRK.B``, ``BRK-B``), is a US ticker on ``XNYS``.

    Parameters
    ----------
    ticker : str
        Yahoo Finance symbol, case-insensitive.

    Returns
    -------
    Exchange

    Raises
    ------
    InputError
        An unknown suffix or index symbol; the message lists the known ones.
    """
    symbol = ticker.strip().upper()
    if symbol in INDEX_EXCHANGES:
        return INDEX_EXCHANGES[symbol]
    if symbol.startswith("^"):
        raise InputError(
            f"unknown index symbol {ticker!r}: no exchange calendar is known for it; "
            f"known index symbols: {', '.join(INDEX_EXCHANGES)}"
        )
    match = _SUFFIX_RE.search(symbol)
    if match is None:
        return _US
    suffix = "." + match.group(1)
    if suffix in EXCHANGES:
        return EXCHANGES[suffix]
    if len(suffix) == 2:  # share class such as BRK.B
        logger.debug("ticker %s: suffix %s read as a US share class", ticker, suffix)
        return _US
    raise InputError(
        f"unknown exchange suffix {suffix!r} in ticker {ticker!r}; "
        f"known suffixes: {_known_suffixes()} (no suffix = US)"
    )


def exchange_for_mic(mic: str) -> Exchange:
    """Return the :class:`Exchange` of a calendar code such as ``"XNYS"``.

    Raises
    ------
    InputError
        The code is not one of the exchanges in :data:`EXCHANGES`.
    """
    code = mic.strip().upper()
    for exchange in EXCHANGES.values():
        if exchange.mic == code:
            return exchange
    known = sorted({e.mic for e in EXCHANGES.values()})
    raise InputError(f"unknown exchange code {mic!r}; known codes: {', '.join(known)}")
