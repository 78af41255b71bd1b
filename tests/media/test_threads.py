"""media.threads: prefetch and BackgroundSink, bounded queues, errors re-raised in the caller."""

from __future__ import annotations

import threading
import time

import pytest

from colorize.media.threads import BackgroundSink, prefetch



# -------------------------------------------------------------------------------------- threads

def test_prefetch_reraises_the_producers_exception_unchanged():
    class Boom(Exception):
        pass

    def produce():
        yield 1
        yield 2
        raise Boom("decoder died")

    seen = []
    with pytest.raises(Boom, match="decoder died"):
        for item in prefetch(produce(), maxsize=1):
            seen.append(item)
    assert seen == [1, 2]


def test_prefetch_stays_bounded_and_stops_the_producer_when_abandoned():
    produced = []
    closed = threading.Event()

    def produce():
        try:
            for i in range(1000):
                produced.append(i)
                yield i
        finally:
            closed.set()

    it = prefetch(produce(), maxsize=2)
    assert next(it) == 0
    # First see the producer run ahead (so the bound below is not met by a producer that never ran),
    # then give it time to overrun: it must stay at one consumed, two queued, one waiting to be put.
    deadline = time.monotonic() + 30
    while len(produced) < 4 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert len(produced) == 4, produced
    time.sleep(0.3)
    assert len(produced) == 4
    it.close()
    assert closed.wait(2.0)


def test_background_sink_reraises_the_consumers_exception():
    def consume(item):
        if item == 3:
            raise ValueError("encoder died")

    with pytest.raises(ValueError, match="encoder died"):
        with BackgroundSink(consume, maxsize=1) as sink:
            for i in range(100):
                sink.put(i)


def test_background_sink_consumes_everything_in_order():
    seen = []
    with BackgroundSink(seen.append, maxsize=2) as sink:
        for i in range(50):
            sink.put(i)
    assert seen == list(range(50))
