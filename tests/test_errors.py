"""One error hierarchy, mapped once per interface: HTTP status and CLI exit code by class."""

from __future__ import annotations

import inspect

import pytest

import advisor.errors as errors
from advisor.cli import exit_code_of
from advisor.errors import (
    AdvisorError,
    EngineError,
    ExpressionError,
    InternalError,
    JobStoreError,
    MissingDependencyError,
    ProbeError,
    UserModelError,
)

api_errors = pytest.importorskip("advisor_api.errors")


def test_every_error_class_lives_in_errors_and_derives_from_advisor_error() -> None:
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass)
               if issubclass(c, Exception) and c.__module__ == "advisor.errors"]
    assert len(classes) >= 18
    assert all(issubclass(c, AdvisorError) for c in classes)
    assert issubclass(ExpressionError, AdvisorError)  # was outside the hierarchy


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (UserModelError("the model raised"), 424, 3),
        (ProbeError("no such target"), 400, 2),
        (EngineError("no fixed point"), 500, 70),
        (InternalError("bug"), 500, 70),
        (MissingDependencyError("torch", "probes", "the probes"), 503, 69),
        (JobStoreError("disk gone"), 503, 2),
        (ExpressionError("bad"), 400, 2),
    ],
)
def test_status_and_exit_code_by_class(exc: AdvisorError, status: int, code: int) -> None:
    assert api_errors.status_of(exc) == status
    assert exit_code_of(exc) == code


def test_a_crashing_user_model_is_exit_3_in_the_cli(cli, tmp_path) -> None:
    target = tmp_path / "broken.py"
    target.write_text(
        "import torch\n"
        "from torch import nn\n"
        "class Broken(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.fc = nn.Linear(4, 2)\n"
        "    def forward(self, x):\n"
        "        raise RuntimeError('shape mismatch in my model')\n"
        "def target():\n"
        "    x = torch.randn(64, 4)\n"
        "    y = torch.randint(0, 2, (64,))\n"
        "    return Broken(), torch.utils.data.TensorDataset(x, y), nn.CrossEntropyLoss()\n"
    )
    result = cli("probe", "lr", "-t", f"{target}:target", "--steps", "10")
    assert result.code == 3, result.err
    assert "shape mismatch in my model" in result.err and "Traceback" not in result.err


def test_library_messages_name_parameters_and_the_cli_names_flags(cli) -> None:
    pytest.importorskip("torch")
    import torch

    from advisor_probes.batch_size import resolve_budget

    with pytest.raises(ProbeError) as caught:
        resolve_budget(torch.device("cpu"), "1GiB", "a100-80gb")
    assert "--" not in str(caught.value) and "`memory`" in str(caught.value)
    result = cli("probe", "batch", "-t", "digits-mlp", "--memory", "1GiB", "--gpu", "a100-80gb")
    assert result.code == 2 and "give --memory or --gpu, not both" in result.err


def test_no_library_message_names_a_cli_flag() -> None:
    import pathlib
    import re

    root = pathlib.Path(errors.__file__).parents[1]
    flag_in_string = re.compile(r"""["'][^"'\n]*\s--[a-z][a-z-]+""")
    offenders = [f"{path.relative_to(root)}:{n}"
                 for folder in ("advisor", "probes", "api") for path in (root / folder).rglob("*.py")
                 if "cli" not in path.parts and path.name not in {"job_worker.py", "job_runner.py"}
                 for n, line in enumerate(path.read_text().splitlines(), 1)
                 if (flag_in_string.search(line) and "raise" in line) or ("Error(" in line and "--" in line)]
    assert offenders == []
