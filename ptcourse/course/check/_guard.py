"""Guards around the learner's code: a deadline for a function that never returns, and its own line.

:func:`deadline` raises :class:`TimedOut` inside its block once the block has run its seconds of
wall-clock time, less first-time imports (while new modules keep arriving in ``sys.modules``, as
torch's lazy imports do, it is pushed back, up to ``IMPORT_GRACE_S`` in all). A watchdog thread
keeps the time, so the learner's code cannot switch it off (``signal.setitimer(signal.ITIMER_REAL,
0)`` and ``signal.alarm(0)`` do not reach it). It sends the main thread of a Unix process (a script,
a Jupyter or Colab kernel) a ``SIGALRM`` (``signal.pthread_kill``), which also interrupts
``time.sleep`` and blocking calls; in another thread, on Windows, or when the learner's code
replaced the handler, it raises :class:`TimedOut` asynchronously (``PyThreadState_SetAsyncExc``),
which stops any Python loop. It fires again every half second until the block ends, and a block that
swallowed it still ends in :class:`TimedOut`. Someone else's ``SIGALRM`` timer (pytest-timeout, say)
keeps running, its signal handed on to its own handler.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import traceback

import torch

_SKIP = (
    os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    os.path.dirname(torch.__file__),
)
TIMEOUT_S = 5.0  # seconds one call of the learner's function may take (not counting first imports)
IMPORT_GRACE_S = 30.0  # the most the deadline is pushed back while modules are being imported
_REFIRE_S = 0.5  # after the deadline, the watchdog interrupts again this often until the block ends


class NotDone(Exception):
    """The learner's function raised NotImplementedError: the exercise is still open."""


class TimedOut(BaseException):
    """Raised inside the learner's code at the deadline (a BaseException: ``except Exception`` in the
    learner's code cannot swallow it)."""


@contextlib.contextmanager
def deadline(seconds: float | None = None):
    """Raise :class:`TimedOut` inside the block when it runs longer than ``seconds`` (default
    ``TIMEOUT_S``), not counting the time of first-time imports."""
    seconds = TIMEOUT_S if seconds is None else seconds
    target = threading.get_ident()
    use_signal = (
        hasattr(signal, "pthread_kill") and threading.current_thread() is threading.main_thread()
    )
    lock = threading.Lock()
    state = {"finished": False, "fired": False, "async": False}
    stop = threading.Event()

    def on_alarm(signum, frame):
        if state["fired"] and not state["finished"]:
            raise TimedOut
        if callable(old):  # someone else's timer (pytest-timeout, ...): theirs to handle
            old(signum, frame)

    def interrupt():
        if use_signal and signal.getsignal(signal.SIGALRM) is on_alarm:
            signal.pthread_kill(target, signal.SIGALRM)
        else:  # another thread, or the learner's code replaced the handler
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(target), ctypes.py_object(TimedOut)
            )
            state["async"] = True

    def watch():
        wait, grace, modules = seconds, IMPORT_GRACE_S, len(sys.modules)
        while not stop.wait(wait):
            now = len(sys.modules)
            if now > modules and grace > 0:  # still importing: that time does not count
                modules, wait = now, min(seconds, grace)
                grace -= wait
                continue
            with lock:
                if state["finished"]:
                    return
                state["fired"] = True
                interrupt()
            wait = _REFIRE_S

    old = signal.signal(signal.SIGALRM, on_alarm) if use_signal else None
    watcher = threading.Thread(target=watch, daemon=True, name="ptcourse-check-deadline")
    watcher.start()
    try:
        yield
        if state["fired"]:  # the learner's code caught TimedOut and carried on
            raise TimedOut
    finally:
        with lock:
            state["finished"] = True
            if state["async"]:  # clear an exception that has not been delivered yet
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), None)
        stop.set()
        watcher.join()
        if use_signal:
            signal.signal(signal.SIGALRM, old)


def learner_line(err: BaseException) -> str:
    """The learner's own line where ``err`` came from: ``line 4 of entropy: return x[3]``."""
    frames = [
        f for f in traceback.extract_tb(err.__traceback__) if not f.filename.startswith(_SKIP)
    ]
    if not frames:
        return ""
    f = frames[-1]
    return f"line {f.lineno} of {f.name}: {(f.line or '').strip()}".rstrip(": ")
