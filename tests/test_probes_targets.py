from __future__ import annotations

from pathlib import Path

import pytest
from torch import nn

from advisor import ProbeError
from advisor_probes import load_target


@pytest.mark.parametrize("name", ["digits-mlp", "digits-cnn", "lstm",
                                  "advisor_probes.examples:digits_mlp"])
def test_builtin_targets(name: str) -> None:
    target = load_target(name)
    assert isinstance(target.model, nn.Module) and len(target.data) > 100


def test_a_file_target(tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    path.write_text("import torch\nfrom torch import nn\nfrom torch.utils.data import TensorDataset\n"
                    "def probe_target():\n"
                    "    return nn.Linear(3, 2), TensorDataset(torch.randn(10, 3), torch.randn(10, 2)), "
                    "nn.MSELoss()\n")
    assert load_target(f"{path}:probe_target").model.in_features == 3


@pytest.mark.parametrize("body,spec_suffix,message", [
    ("", ":nothing", "has no attribute 'nothing'"),
    ("import not_a_real_module_xyz\n", ":f", "importing .* failed: ModuleNotFoundError"),
    ("def f():\n    return 1, 2\n", ":f",
     r"must return \(model, dataset_or_dataloader, loss_fn\), got tuple of length 2"),
    ("def f():\n    return 'model', [], len\n", ":f", "must be a torch.nn.Module, got str"),
    ("def f():\n    raise KeyError('config')\n", ":f", "raised: KeyError"),
    ("f = 3\n", ":f", "is not callable"),
])
def test_bad_targets_say_what_is_wrong(tmp_path: Path, body: str, spec_suffix: str, message: str) -> None:
    path = tmp_path / "t.py"
    path.write_text(body)
    with pytest.raises(ProbeError, match=message):
        load_target(f"{path}{spec_suffix}")


@pytest.mark.parametrize("spec,message", [
    ("no_colon_here", "expected 'package.module:function'"),
    ("missing/file.py:f", "no such file"),
    ("json:nope", "has no attribute 'nope'"),
])
def test_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(ProbeError, match=message):
        load_target(spec)
