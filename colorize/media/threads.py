"""Overlap the stages of a streaming job with threads and bounded queues.

Decoding (ffmpeg/OpenCV), the generator (torch) and encoding (ffmpeg) all release the GIL in their
heavy parts, so running them in threads overlaps them. Queues are bounded, so memory stays flat however
long the video is, and a slow stage simply makes the others wait.

    for item in prefetch(iter_frames(path), maxsize=8):   # produced in a background thread
        ...
    with BackgroundSink(writer.write, maxsize=8) as sink:   # consumed in a background thread
        sink.put(rgb)

An exception in a background thread is re-raised, unchanged, in the calling thread at its next
interaction (next item, next put, or exit); when the caller stops early or fails, the background
thread is told to stop, so nothing hangs.
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")

_POLL_S = 0.1  # how often a blocked put/get re-checks whether the other side has stopped


class _Done:
    """End-of-stream marker."""


class _Failed:
    """Carries a background thread's exception to the calling thread."""

    def __init__(self, exc: BaseException):
        self.exc = exc


def _put_until(q: queue.Queue, item: Any, stop: threading.Event) -> bool:
    """Put `item`, waiting for room, unless `stop` is set first; True if the item was queued."""
    while not stop.is_set():
        try:
            q.put(item, timeout=_POLL_S)
            return True
        except queue.Full:
            continue
    return False


def prefetch(iterable: Iterable[T], maxsize: int = 8, name: str = "prefetch") -> Iterator[T]:
    """Iterate `iterable` in a background thread, at most `maxsize` items ahead of the consumer.

    Exceptions raised by `iterable` surface from this iterator as the original exception. Closing
    this iterator early (break, an exception in the consumer) stops the producer and closes
    `iterable` if it is a generator, so files and decoder processes are released.
    """
    q: queue.Queue = queue.Queue(maxsize=max(1, maxsize))
    stop = threading.Event()

    def produce() -> None:
        it = iter(iterable)
        try:
            for item in it:
                if not _put_until(q, item, stop):
                    return
            _put_until(q, _Done(), stop)
        except BaseException as exc:  # forwarded, so the consumer sees the original error
            _put_until(q, _Failed(exc), stop)
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if isinstance(item, _Done):
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item
    finally:
        stop.set()
        thread.join()


class BackgroundSink:
    """Call `consume(item)` for every `put(item)` in a background thread, in order.

    `put` blocks while `maxsize` items wait. If `consume` raises, the next `put` (or `close`) raises
    that exception; items after the failure are dropped. Use as a context manager: a clean exit
    waits for every item to be consumed, an exit by exception stops the thread without waiting.
    """

    def __init__(self, consume: Callable[[Any], None], maxsize: int = 8, name: str = "sink"):
        self._consume = consume
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, maxsize))
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                item = self._queue.get(timeout=_POLL_S)
            except queue.Empty:
                continue
            if isinstance(item, _Done):
                return
            try:
                self._consume(item)
            except BaseException as exc:  # kept for the calling thread
                self._error = exc
                self._stop.set()
                return

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def put(self, item: Any) -> None:
        """Queue `item` for consumption; raises the consumer's exception if it has failed."""
        self._raise_if_failed()
        if not _put_until(self._queue, item, self._stop):
            self._raise_if_failed()

    def close(self) -> None:
        """Wait until every queued item is consumed; raises the consumer's exception if any."""
        if self._thread.is_alive():
            _put_until(self._queue, _Done(), self._stop)
            self._thread.join()
        self._raise_if_failed()

    def abort(self) -> None:
        """Stop the consumer without waiting for the queued items."""
        self._stop.set()
        self._thread.join()

    def __enter__(self) -> "BackgroundSink":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
