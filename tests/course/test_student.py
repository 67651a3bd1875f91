"""press/student.py: an exercise solution becomes its stub, and the stub meets its checker."""

from __future__ import annotations

import pytest
import student

from ptcourse.course import check

SOLUTION = '''\
# the learner writes this
@staticmethod
def token_logprobs(
    logits, targets, *, chunk_size=None
):
    """Return log softmax(logits)[targets].

    A second docstring line.
    """
    logp = torch.log_softmax(logits.float(), dim=-1)
    return logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
'''


def test_solution_body_becomes_a_stub():
    """A solution keeps comment, decorator, signature and docstring; its body is replaced by the stub."""
    stub = student.stub_source(SOLUTION)
    assert stub.startswith("# the learner writes this\n@staticmethod\ndef token_logprobs(\n")
    assert '    A second docstring line.\n    """\n' in stub
    assert "log_softmax" not in stub and "gather" not in stub
    assert stub.endswith("    " + student.STUB)


def test_stub_runs_and_the_checker_says_not_done_yet(capsys):
    """The generated stub defines the function; calling the checker on it prints 'not done yet'."""
    namespace: dict = {}
    exec(student.stub_source(SOLUTION.replace("@staticmethod\n", "")), namespace)
    with pytest.raises(NotImplementedError):
        namespace["token_logprobs"](None, None)
    check.token_logprobs(namespace["token_logprobs"])
    assert check.NOT_DONE in capsys.readouterr().out


def test_stub_without_docstring_keeps_the_signature():
    """A solution with no docstring keeps its def line and gets the stub as its body."""
    out = student.stub_source("def f(x):\n    return x\n")
    assert out == "def f(x):\n    " + student.STUB


@pytest.mark.parametrize(
    "source",
    [
        "import torch\ndef f(x):\n    'doc'\n    return x\n",
        "def f(x):\n    'doc'\n    return x\n\ndef g(x):\n    'doc'\n    return x\n",
        "def f(x): return x\n",
        "x = 1\n",
    ],
    ids=["import", "two-defs", "one-liner", "no-def"],
)
def test_a_solution_cell_that_breaks_the_rule_is_an_error(source):
    """A solution cell that is not exactly one def (with a body on its own lines) fails loudly."""
    with pytest.raises(student.SolutionCellError):
        student.stub_source(source)
