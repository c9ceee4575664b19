"""The heap switch of large studies (:mod:`eventstudy.heap`): what it asks glibc,
when, and that a study's numbers do not depend on it."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from eventstudy import heap


class _FakeLibc:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int] | tuple[str, int]] = []

    def mallopt(self, param: int, value: int) -> int:
        self.calls.append(("mallopt", param, value))
        return 1

    def malloc_trim(self, pad: int) -> int:
        self.calls.append(("malloc_trim", pad))
        return 1


@pytest.fixture
def libc(monkeypatch: pytest.MonkeyPatch) -> _FakeLibc:
    fake = _FakeLibc()
    monkeypatch.setattr(heap, "_glibc", lambda: fake)
    monkeypatch.delenv(heap.ENV, raising=False)
    return fake


def test_sets_then_restores_and_trims_once_when_nested(libc: _FakeLibc):
    with heap.kept_freed_memory() as outer:
        assert outer is True
        assert libc.calls == [
            ("mallopt", heap._M_MMAP_MAX, 0),
            ("mallopt", heap._M_TRIM_THRESHOLD, heap._KEEP),
        ]
        with heap.kept_freed_memory() as inner:
            assert inner is True
        assert len(libc.calls) == 2  # the inner block leaves the settings to the outer one
    assert libc.calls[2:] == [
        ("mallopt", heap._M_MMAP_MAX, heap._DEFAULT_MMAP_MAX),
        ("mallopt", heap._M_TRIM_THRESHOLD, heap._DEFAULT_TRIM_THRESHOLD),
        ("malloc_trim", 0),
    ]


def test_restores_when_the_block_raises(libc: _FakeLibc):
    with pytest.raises(RuntimeError), heap.kept_freed_memory():
        raise RuntimeError("inside")
    assert libc.calls[-1] == ("malloc_trim", 0)
    assert heap._depth == 0


def test_switched_off_by_env_or_not_wanted(libc: _FakeLibc, monkeypatch: pytest.MonkeyPatch):
    with heap.kept_freed_memory(wanted=False) as acted:
        assert acted is False
    monkeypatch.setenv(heap.ENV, "0")
    assert not heap.enabled()
    with heap.kept_freed_memory() as acted:
        assert acted is False
    assert libc.calls == []


def test_no_op_without_glibc(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(heap, "_glibc", lambda: None)
    with heap.kept_freed_memory() as acted:
        assert acted is False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc is a Linux library")
def test_real_glibc_calls_succeed():
    libc = heap._glibc()
    if libc is None:
        pytest.skip("this Linux has no glibc (musl?)")
    with heap.kept_freed_memory() as acted:
        assert acted is True
        a = np.ones(5_000_000)  # 40 MB: above every mmap threshold
        del a
        b = np.ones(5_000_000)
        assert b.sum() == 5_000_000
    assert heap._depth == 0


def test_study_numbers_do_not_depend_on_it(monkeypatch: pytest.MonkeyPatch):
    import eventstudy as es
    from tests.test_scale import _quiet, _study

    events, prices = _study(2_100, seed=5)  # above MIN_EVENTS: the switch acts
    out = {}
    for flag in ("1", "0"):
        monkeypatch.setenv(heap.ENV, flag)
        with _quiet():
            res = es.EventStudy(events).run(prices=prices)
        out[flag] = (res.car, res.aar, res.tests)
    for a, b in zip(out["1"], out["0"], strict=True):
        assert a.equals(b)
