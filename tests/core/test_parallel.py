"""ptcourse.parallel on a real process group: gloo on CPU, 2 ranks started once per test session.

Every sharded function is compared, values and gradients, with the unsharded one on the whole
logits (random and adversarial inputs: huge logits, -inf, a rank whose slice holds no target or
only -inf, ignore_index, fp16, uneven shards, one-row chunks); bad or disagreeing inputs must raise
on *every* rank (a rank left waiting in a collective fails the test by timeout); the communication
is counted and must not grow with the vocabulary. megatron-core's ``vocab_parallel_cross_entropy``
is an oracle (in requirements.lock; a failure under CI=true when missing). 4 ranks:
``make test-parallel4`` (marker ``parallel4``); NCCL on GPUs: marker ``gpu``.
"""

from __future__ import annotations

import importlib.util
import os

import pytest
import torch
from dist_pool import DistPool, RankError
from parallel_cases import FIELDS, bounds_for

import ptcourse as pc

pytestmark = pytest.mark.xdist_group("dist")  # one pool per session: all on one xdist worker

FNS = ("token_logprobs", "entropy", "kl_divergence", "token_stats")


@pytest.fixture(scope="session")
def pool2():
    p = DistPool(2, timeout=90)
    yield p
    p.close()


@pytest.fixture(scope="session")
def pool4():
    p = DistPool(4, timeout=90)
    yield p
    p.close()


def reference(fn, x, t, y, weights, ignore_index=None):
    """The unsharded function on the whole logits: outputs and gradients (x, y)."""
    x = x.clone().requires_grad_()
    y = y.clone().requires_grad_() if y is not None else None
    keep = None
    if t is not None and ignore_index is not None:
        keep = t != ignore_index
        t = torch.where(keep, t, 0)
    if fn == "entropy":
        outs = {"entropy": pc.entropy(x)}
    elif fn == "token_logprobs":
        outs = {"logp": pc.token_logprobs(x, t)}
    elif fn == "kl_divergence":
        outs = {"kl": pc.kl_divergence(x, y)}
    else:
        s = pc.token_stats(x, t, y)
        outs = {k: getattr(s, k) for k in FIELDS if getattr(s, k) is not None}
    if keep is not None:
        for k in ("logp", "ref_logp"):
            if k in outs:
                outs[k] = torch.where(keep, outs[k], 0.0)
    loss = sum((weights[k] * v).sum() for k, v in outs.items())
    inputs = [v for v in (x, y) if v is not None]
    gs = torch.autograd.grad(loss, inputs, allow_unused=True)
    return {k: v.detach() for k, v in outs.items()}, gs


def check(pool, fn, x, t=None, y=None, *, sizes=None, tol=1e-12, gtol=None, dtype=None, **kw):
    """Sharded == unsharded on every rank (values) and glued slice gradients == whole gradient."""
    gen = torch.Generator().manual_seed(1)
    batch = x.shape[:-1]
    weights = {k: torch.randn(batch, generator=gen, dtype=torch.float64) for k in FIELDS}
    cd = torch.float32 if dtype in (torch.float16, torch.bfloat16) else x.dtype
    weights = {k: w.to(cd) for k, w in weights.items()}
    bounds = bounds_for(x.shape[-1], pool.world, sizes)
    res = pool.run(
        "parallel_cases",
        "sharded",
        fn=fn,
        logits=x,
        targets=t,
        ref_logits=y,
        bounds=bounds,
        weights=weights,
        pass_start=sizes is not None,
        dtype=dtype,
        **kw,
    )
    errors = [r for r in res if isinstance(r, RankError)]
    assert not errors, errors[0].trace
    xs, ys = (x.to(dtype), y.to(dtype) if y is not None else None) if dtype else (x, y)
    want, (gx, *gy) = reference(fn, xs, t, ys, weights, kw.get("ignore_index"))
    for r in res:
        assert r["outs"].keys() == want.keys()
        for k in want:
            torch.testing.assert_close(r["outs"][k], want[k], rtol=tol, atol=tol)
    got_gx = torch.cat([r["grads"]["x"] for r in res], -1)
    gtol = gtol if gtol is not None else tol
    torch.testing.assert_close(got_gx, gx, rtol=gtol, atol=gtol)
    if gy and gy[0] is not None:
        got_gy = torch.cat([r["grads"]["y"] for r in res], -1)
        torch.testing.assert_close(got_gy, gy[0], rtol=gtol, atol=gtol)
    return res


def _inputs(shape=(3, 5, 12), seed=0, scale=3.0):
    g = torch.Generator().manual_seed(seed)
    x = scale * torch.randn(shape, generator=g, dtype=torch.float64)
    y = scale * torch.randn(shape, generator=g, dtype=torch.float64)
    t = torch.randint(0, shape[-1], shape[:-1], generator=g)
    return x, t, y


# ---------------------------------------------------------------- exact against the unsharded


@pytest.mark.parametrize("fn", FNS)
def test_random_inputs_match_unsharded(pool2, fn):
    """Random float64 logits (3, 5, 12) in 2 slices: values and gradients equal to 1e-12."""
    x, t, y = _inputs()
    check(pool2, fn, x, t, y if fn in ("kl_divergence", "token_stats") else None, chunk_size=4)


def test_token_stats_without_reference_matches(pool2):
    x, t, _ = _inputs(seed=3)
    res = check(pool2, "token_stats", x, t)
    assert set(res[0]["outs"]) == {"logp", "entropy"}


def test_adversarial_logits_match(pool2):
    """Huge logits (1e4 offsets), -inf entries, a row whose whole slice on rank 1 is -inf, a target
    at a -inf logit, and rows whose targets all sit on rank 0 (rank 1 holds no target)."""
    x, t, y = _inputs(shape=(6, 12), seed=5)
    x[0] += 1e4  # large: only differences matter
    y[0] -= 3e4
    x[1, 6:] = float("-inf")  # rank 1's whole slice is -inf in this row
    y[2, :6] = float("-inf")  # q = 0 where p > 0 in row 2: KL = +inf
    x[3, [1, 7]] = float("-inf")
    t[3] = 1  # the target's logit is -inf: log p = -inf
    t[:] = torch.where(torch.arange(6) == 3, t, t % 6)  # every target on rank 0's slice
    finite = [0, 1, 3, 4, 5]  # the gradient of an infinite KL (row 2) is not meaningful
    res = check(pool2, "token_stats", x[finite], t[finite], y[finite], chunk_size=1)
    assert torch.isneginf(res[0]["outs"]["logp"][2])  # row 3
    vals = pool2.run(
        "parallel_cases", "sharded", fn="token_stats", logits=x, targets=t, ref_logits=y
    )
    want = pc.token_stats(x, t, y)
    for r in vals:
        assert torch.isposinf(r["outs"]["kl"][2])
        for k in FIELDS:
            torch.testing.assert_close(r["outs"][k], getattr(want, k), rtol=1e-12, atol=1e-12)
    check(pool2, "entropy", x, chunk_size=2)
    check(pool2, "token_logprobs", x, t)


def test_ignore_index_and_uneven_shards(pool2):
    """ignore_index=-100 gives 0 and no gradient; shards of 3 and 9 tokens with vocab_start."""
    x, t, y = _inputs(shape=(4, 6, 12), seed=7)
    t[0, :3] = -100
    t[2] = -100
    check(pool2, "token_stats", x, t, y, sizes=[3, 9], ignore_index=-100)
    check(pool2, "token_logprobs", x, t, sizes=[9, 3], ignore_index=-100, chunk_size=5)
    check(pool2, "entropy", x, sizes=[5, 7])
    check(pool2, "kl_divergence", x, None, y, sizes=[11, 1])


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_computes_in_fp32(pool2, dtype):
    """fp16/bf16 slices: fp32 results equal to the unsharded function's on the same inputs."""
    x, t, y = _inputs(shape=(5, 16), seed=11)
    res = check(pool2, "token_stats", x, t, y, dtype=dtype, tol=1e-5, gtol=2e-2)
    assert res[0]["outs"]["logp"].dtype == torch.float32
    assert res[0]["grads"]["x"].dtype == dtype


# ---------------------------------------------------------------- errors raised on every rank


@pytest.mark.parametrize(
    "what, kind, text",
    [
        ("rows", ValueError, "same rows of 'logits'"),
        ("targets", ValueError, "'targets' differ between ranks"),
        ("dtype", ValueError, "same dtype of 'logits'"),
        ("uneven", ValueError, "uneven shards [8, 9]"),
        ("start_on_one_rank", ValueError, "'vocab_start' must be given on every rank or on none"),
        ("overlap", ValueError, "tile the vocabulary"),
    ],
)
def test_disagreeing_ranks_raise_everywhere(pool2, what, kind, text):
    """Inputs that differ between ranks: the same clear error on every rank, no rank left waiting."""
    res = pool2.run("parallel_cases", "different_per_rank", what=what)
    assert all(isinstance(r, RankError) for r in res), res
    assert {r.type for r in res} == {kind.__name__}
    assert all(text in r.message for r in res), [r.message for r in res]


@pytest.mark.parametrize("what", ["bad_type_on_one_rank", "bad_chunk_on_one_rank"])
def test_a_rank_that_refuses_its_inputs_stops_the_others(pool2, what):
    """One rank's argument error is raised there; the others raise saying which rank refused."""
    res = pool2.run("parallel_cases", "different_per_rank", what=what)
    assert all(isinstance(r, RankError) for r in res), res
    local = [r for r in res if r.type != "RuntimeError"]
    others = [r for r in res if r.type == "RuntimeError"]
    assert len(local) == 1 and others
    assert "'logits'" in local[0].message or "'chunk_size'" in local[0].message
    assert all(f"rank(s) [{local[0].rank}] refused" in r.message for r in others)


@pytest.mark.parametrize(
    "where, text",
    [
        ("nan", "'logits' contains NaN on some rank (row 1"),
        ("posinf", "'logits' contains +inf on some rank (row 1)"),
        ("allneginf", "all -inf on every rank (row 1)"),
        ("target", "'targets' must lie in [0, V) = [0, 12)"),
    ],
)
def test_bad_values_raise_on_every_rank(pool2, where, text):
    """NaN, +inf, an all -inf row, or an out-of-range target: a ValueError naming it, on all ranks."""
    x, t, _ = _inputs(shape=(3, 12), seed=2)
    if where == "nan":
        x[1, 8] = float("nan")  # on rank 1 only
    elif where == "posinf":
        x[1, 2] = float("inf")
    elif where == "allneginf":
        x[1] = float("-inf")
    else:
        t[0] = 12
    res = pool2.run("parallel_cases", "sharded", fn="token_stats", logits=x, targets=t)
    assert all(isinstance(r, RankError) and r.type == "ValueError" for r in res), res
    assert all(text in r.message for r in res), [r.message for r in res]


def test_second_derivatives_are_refused(pool2):
    res = pool2.run("parallel_cases", "second_derivative")
    assert all(isinstance(r, RankError) and "first derivatives only" in r.message for r in res)


def test_uninitialised_distributed_is_named():
    """Without a process group, the error names 'group' and says what to call."""
    import torch.distributed as dist

    from ptcourse import parallel

    if dist.is_initialized():  # pragma: no cover - another test left one behind
        pytest.skip("a process group is initialised in this process")
    with pytest.raises(RuntimeError, match="'group': torch.distributed is not initialised"):
        parallel.entropy(torch.zeros(2, 3))


# ---------------------------------------------------------------- communication is O(N)


def test_communication_is_o_n_not_o_nv(pool2):
    """Bytes per rank: the same at V=64 and V=8192, twice as many at twice N; exactly 2 + 6 values
    per row (fp32) plus one gather of 7 int64 per rank, in three collectives."""
    small = pool2.run("parallel_cases", "communication", n=16, vocab=64, with_ref=True)
    wide = pool2.run("parallel_cases", "communication", n=16, vocab=8192, with_ref=True)
    tall = pool2.run("parallel_cases", "communication", n=32, vocab=64, with_ref=True)
    for r in range(2):
        assert small[r]["calls"] == 3
        assert small[r]["by_op"] == {"gather": 7 * 8, "max": 2 * 16 * 4, "sum": 6 * 16 * 4}
        assert wide[r]["bytes"] == small[r]["bytes"]
        assert tall[r]["bytes"] - 56 == 2 * (small[r]["bytes"] - 56)


# ---------------------------------------------------------------- megatron-core as an oracle


@pytest.mark.skipif(
    os.environ.get("CI") != "true"  # in CI (the lock installs it) a missing oracle is a failure
    and (
        importlib.util.find_spec("megatron") is None
        or importlib.util.find_spec("megatron.core") is None
    ),
    reason="megatron-core not installed (it is in requirements.lock: make install)",
)
def test_megatron_vocab_parallel_cross_entropy_agrees(pool2):
    """megatron-core's vocab_parallel_cross_entropy (float32, 2 ranks): -log p and its gradient."""
    x, t, _ = _inputs(shape=(4, 3, 16), seed=13)
    x = x.float()
    meg = pool2.run("parallel_cases", "megatron_oracle", logits=x, targets=t)
    assert not any(isinstance(r, RankError) for r in meg), [getattr(r, "trace", "") for r in meg]
    weights = {k: torch.ones(x.shape[:-1]) for k in FIELDS}
    ours = pool2.run(
        "parallel_cases", "sharded", fn="token_logprobs", logits=x, targets=t, weights=weights
    )
    for r in range(2):
        torch.testing.assert_close(ours[r]["outs"]["logp"], -meg[r]["nll"], rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(ours[r]["grads"]["x"], -meg[r]["grad"], rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- 4 ranks (opt-in) and NCCL


@pytest.mark.parallel4
@pytest.mark.parametrize("fn", FNS)
def test_four_ranks_match_unsharded(pool4, fn):
    """4 ranks (make test-parallel4): random, uneven and adversarial inputs."""
    x, t, y = _inputs(shape=(4, 5, 16), seed=17)
    y = y if fn in ("kl_divergence", "token_stats") else None
    check(pool4, fn, x, t, y, chunk_size=3)
    x[0, 0, 4:] = float("-inf")  # ranks 1-3 hold only -inf in this row
    check(pool4, fn, x, t % 4, y, sizes=[2, 3, 5, 6], chunk_size=7)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_nccl_matches_unsharded():
    """NCCL, one GPU per rank (as many ranks as GPUs, at most 2): values and gradients."""
    world = min(2, torch.cuda.device_count())
    pool = DistPool(world, backend="nccl", timeout=120)
    try:
        x, t, y = _inputs(shape=(8, 64), seed=19)
        for fn in FNS:
            yy = y if fn in ("kl_divergence", "token_stats") else None
            check(pool, fn, x, t, yy, device="cuda", tol=1e-10)
        check(
            pool, "token_stats", x, t, y, device="cuda", dtype=torch.bfloat16, tol=1e-5, gtol=2e-2
        )
    finally:
        pool.close()
