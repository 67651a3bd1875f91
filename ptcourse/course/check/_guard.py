"""Guards around the learner's code: a deadline for a function that never returns, and its own line.

:func:`deadline` stops the code inside it after some seconds by raising :class:`TimedOut` in it. In the
main thread of a Unix process (a plain script, a Jupyter or Colab kernel, which run cells in their main
thread) it uses a ``SIGALRM`` timer, which also interrupts ``time.sleep`` and blocking calls, and puts
back any timer that was set before. Elsewhere (another thread, Windows) a watchdog thread raises the
exception asynchronously (``PyThreadState_SetAsyncExc``), which stops any Python-level loop.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import threading
import time
import traceback

import torch

_SKIP = (
    os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    os.path.dirname(torch.__file__),
)


TIMEOUT_S = 5.0  # seconds one call of the learner's function may take


class NotDone(Exception):
    """The learner's function raised NotImplementedError: the exercise is still open."""


class TimedOut(BaseException):
    """Raised inside the learner's code at the deadline (a BaseException: ``except Exception`` in the
    learner's code cannot swallow it)."""


@contextlib.contextmanager
def deadline(seconds: float):
    """Raise :class:`TimedOut` inside the block when it runs longer than ``seconds``."""
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        with _alarm(seconds):
            yield
    else:
        with _watchdog(seconds):
            yield


@contextlib.contextmanager
def _alarm(seconds: float):
    def on_alarm(signum, frame):
        raise TimedOut

    before, _ = signal.getitimer(signal.ITIMER_REAL)  # someone else's timer (pytest-timeout, ...)
    t0 = time.monotonic()
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        if before:
            signal.setitimer(signal.ITIMER_REAL, max(before - (time.monotonic() - t0), 1e-3))


@contextlib.contextmanager
def _watchdog(seconds: float):
    target = threading.get_ident()
    lock, state = threading.Lock(), {"finished": False, "fired": False}
    stop = threading.Event()

    def fire():
        if stop.wait(seconds):
            return
        with lock:
            if not state["finished"]:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(
                    ctypes.c_ulong(target), ctypes.py_object(TimedOut)
                )
                state["fired"] = True

    watcher = threading.Thread(target=fire, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        with lock:
            state["finished"] = True
            if state["fired"]:  # clear an exception that has not been delivered yet
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), None)
        stop.set()
        watcher.join()


def learner_line(err: BaseException) -> str:
    """The learner's own line where ``err`` came from: ``line 4 of entropy: return x[3]``."""
    frames = [
        f for f in traceback.extract_tb(err.__traceback__) if not f.filename.startswith(_SKIP)
    ]
    if not frames:
        return ""
    f = frames[-1]
    return f"line {f.lineno} of {f.name}: {(f.line or '').strip()}".rstrip(": ")
