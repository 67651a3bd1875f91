"""A pool of ranks with an initialised process group, started once and fed cases (test helper).

Spawning ranks and forming a process group costs seconds (each rank imports torch); a test session
pays it once. ``DistPool(world)`` starts ``world`` Python processes (this file run as a script),
each joins a ``torch.distributed`` group (gloo on CPU, or nccl with one GPU per rank) through a
FileStore, then serves calls: :meth:`DistPool.run` sends ``(module, function, kwargs)`` to every
rank, each runs ``function(rank=..., world=..., **kwargs)``, and the results (or the exceptions,
as ``RankError``) come back in rank order. A rank that does not answer within ``timeout`` seconds
(for example one left waiting in a collective after another rank raised) fails the call and kills
the pool: a deadlock is a test failure, never a hung suite.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Listener
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass
class RankError:
    """What a rank raised: the exception's type name and message (and the traceback text)."""

    rank: int
    type: str
    message: str
    trace: str = ""


class DistPool:
    def __init__(self, world: int, backend: str = "gloo", timeout: float = 120.0):
        self.world, self.backend, self.timeout = world, backend, timeout
        self._tmp = tempfile.TemporaryDirectory(prefix="ptcourse-dist-")
        key = os.urandom(16)
        self._listener = Listener(("127.0.0.1", 0), authkey=key)
        host, port = self._listener.address
        env = dict(os.environ, OMP_NUM_THREADS="1", PTCOURSE_POOL_KEY=key.hex())
        store = os.path.join(self._tmp.name, "store")
        self.procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    str(Path(__file__)),
                    str(r),
                    str(world),
                    backend,
                    store,
                    str(port),
                ],
                env=env,
                cwd=str(HERE),
            )
            for r in range(world)
        ]
        conns = {}
        for _ in range(world):
            c = self._listener.accept()
            conns[c.recv()] = c  # each rank says who it is first
        self.conns = [conns[r] for r in range(world)]
        self.ready = self.run("dist_pool", "_hello")  # the group formed on every rank

    def run(self, module: str, function: str, **kwargs):
        """Run ``module.function(rank=r, world=W, **kwargs)`` on every rank; results by rank."""
        if self.procs is None:
            raise RuntimeError("the pool was shut down after an earlier failure")
        for c in self.conns:
            c.send_bytes(pickle.dumps((module, function, kwargs)))
        out = []
        for r, c in enumerate(self.conns):
            if not c.poll(self.timeout):
                self.close()
                raise TimeoutError(
                    f"rank {r} gave no answer in {self.timeout} s (deadlock in a collective?)"
                )
            out.append(pickle.loads(c.recv_bytes()))
        return out

    def close(self):
        if self.procs is None:
            return
        for c in self.conns:
            try:
                c.send_bytes(pickle.dumps(None))
            except OSError:
                pass
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = None
        self._listener.close()
        self._tmp.cleanup()


def _hello(rank, world):
    import torch.distributed as dist

    return (dist.get_rank(), dist.get_world_size(), dist.get_backend())


def _serve(rank: int, world: int, backend: str, store: str, port: int) -> None:
    import importlib
    from multiprocessing.connection import Client

    import torch
    import torch.distributed as dist

    sys.path.insert(0, str(HERE))
    from dist_pool import RankError  # by its module name, so that the test process unpickles it

    conn = Client(("127.0.0.1", port), authkey=bytes.fromhex(os.environ["PTCOURSE_POOL_KEY"]))
    conn.send(rank)
    if backend == "nccl":
        torch.cuda.set_device(rank)
    dist.init_process_group(
        backend, store=dist.FileStore(store, world), rank=rank, world_size=world
    )
    while True:
        msg = pickle.loads(
            conn.recv_bytes()
        )  # plain pickle: torch's shared-memory reducers are off
        if msg is None:
            break
        module, function, kwargs = msg
        try:
            fn = getattr(importlib.import_module(module), function)
            result = fn(rank=rank, world=world, **kwargs)
        except Exception as exc:  # reported to the test, which decides
            result = RankError(rank, type(exc).__name__, str(exc), traceback.format_exc())
        conn.send_bytes(pickle.dumps(result))
    dist.destroy_process_group()


if __name__ == "__main__":
    r, w, b, s, p = sys.argv[1:6]
    sys.path.insert(0, str(HERE))
    _serve(int(r), int(w), b, s, int(p))
