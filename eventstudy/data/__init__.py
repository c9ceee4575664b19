"""Price providers: where prices come from (files, Yahoo Finance, the local cache)."""

from eventstudy.data.base import PriceProvider, PriceSet

__all__ = ["PriceProvider", "PriceSet"]
