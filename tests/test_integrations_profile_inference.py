"""Profile inference from a model, its data and its loss, and `advisor init` on top of it."""

from __future__ import annotations

import pytest
import yaml

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from advisor import load_profile, recommend  # noqa: E402
from advisor.errors import ProbeError  # noqa: E402
from advisor.integrations import infer_profile, profile_from  # noqa: E402
from advisor_probes.targets import load_target  # noqa: E402


def _flat(tree: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in tree.items():
        out |= _flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v}
    return out


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            "digits-mlp",
            {
                "task": "classification",
                "data.modality": "tabular",
                "data.num_samples": 1797,
                "data.num_classes": 10,
                "model.family": "mlp",
                "model.activation": "relu",
                "model.normalization": "none",
                "loss.name": "cross_entropy",
            },
        ),
        ("digits-cnn", {"data.modality": "image", "model.family": "cnn", "model.normalization": "batchnorm"}),
        ("lstm", {"data.modality": "sequence", "model.family": "lstm", "data.sequence_length": 20}),
    ],
)
def test_the_shipped_targets(target: str, expected: dict) -> None:
    t = load_target(target)
    found = _flat(infer_profile(t.model, t.data, t.loss_fn).fields)
    assert {k: found.get(k) for k in expected} == expected
    assert found["model.num_params"] == sum(p.numel() for p in t.model.parameters())


class _Block(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.a, self.b = nn.Conv2d(c, c, 3, padding=1), nn.Conv2d(c, c, 3, padding=1)
        self.n1, self.n2 = nn.BatchNorm2d(c), nn.BatchNorm2d(c)

    def forward(self, x):
        out = torch.relu(self.n1(self.a(x)))
        out = self.n2(self.b(out))
        out += x
        return torch.relu(out)


def test_skip_connections_make_a_resnet_and_a_binary_loss_reads_imbalance() -> None:
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        _Block(8),
        _Block(8),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(8, 1),
        nn.Flatten(0),
    )
    x = torch.randn(40, 3, 8, 8)
    y = torch.tensor([1.0] * 4 + [0.0] * 36)
    found = _flat(infer_profile(model, TensorDataset(x, y), nn.BCEWithLogitsLoss()).fields)
    assert found["model.family"] == "resnet"
    assert (found["task"], found["loss.name"], found["data.num_classes"]) == ("classification", "bce", 2)
    assert found["data.imbalance_ratio"] == 9.0


def test_regression_from_continuous_labels_and_sparse_inputs_through_a_dataloader() -> None:
    x = torch.zeros(64, 100)
    x[:, :3] = torch.rand(64, 3)
    model = nn.Sequential(nn.Linear(100, 16), nn.GELU(), nn.Dropout(0.2), nn.Linear(16, 1))
    found = _flat(infer_profile(model, DataLoader(TensorDataset(x, torch.randn(64, 1)), batch_size=8)).fields)
    assert (found["task"], found["loss.name"], found["data.sparse_features"]) == ("regression", "mse", True)
    assert found["model.activation"] == "gelu" and found["model.dropout_placement"] == "input_output"


def test_dropout_straight_into_batchnorm_is_found() -> None:
    model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
    found = _flat(infer_profile(model, TensorDataset(torch.randn(16, 4), torch.arange(16) % 2)).fields)
    assert found["model.dropout_placement"] == "before_batchnorm"


def test_hugging_face_models_built_from_a_config() -> None:
    transformers = pytest.importorskip("transformers")

    class Tokens(torch.utils.data.Dataset):
        def __len__(self):
            return 20

        def __getitem__(self, i):
            x = torch.randint(0, 60, (16,))
            return {"input_ids": x, "labels": x}

    llama = transformers.LlamaForCausalLM(
        transformers.LlamaConfig(
            vocab_size=60,
            hidden_size=32,
            num_hidden_layers=3,
            num_attention_heads=2,
            num_key_value_heads=2,
            intermediate_size=64,
        )
    )
    found = _flat(infer_profile(llama, Tokens()).fields)
    assert {
        k: found[k]
        for k in (
            "task",
            "model.family",
            "model.kind",
            "model.normalization",
            "model.activation",
            "model.depth",
            "data.sequence_length",
            "data.num_tokens",
        )
    } == {
        "task": "causal_lm",
        "model.family": "transformer",
        "model.kind": "decoder",
        "model.normalization": "rmsnorm",
        "model.activation": "swiglu",
        "model.depth": 3,
        "data.sequence_length": 16,
        "data.num_tokens": 320,
    }
    profile = profile_from(
        llama,
        Tokens(),
        known={
            "model": {
                "pretrained": True,
                "pretrain_similarity": "high",
                "finetuning": {"method": "lora", "lora_rank": 8},
            }
        },
    )
    assert recommend(profile).config["freeze"]["method"] == "lora"


def test_a_model_that_cannot_run_on_its_data_is_a_probe_error() -> None:
    with pytest.raises(ProbeError, match="forward pass"):
        infer_profile(nn.Linear(3, 2), TensorDataset(torch.randn(8, 5), torch.zeros(8).long()))


def test_advisor_init_writes_a_profile_that_recommend_accepts(cli, tmp_path) -> None:
    out = tmp_path / "profile.yaml"
    result = cli("init", "--target", "digits-cnn", "--out", out, "--epochs", "12", "--device", "cpu")
    assert result.code == 0, result.err
    text = out.read_text()
    assert "family: cnn  # inferred:" in text and "# pretrained:" in text and "epochs: 12  # given" in text
    profile = load_profile(out)
    assert profile.budget.epochs == 12 and profile.hardware.device == "cpu"
    assert cli("recommend", out).code == 0
    again = cli("init", "--target", "digits-cnn", "--out", out)
    assert again.code == 2 and "--force" in again.err


def test_advisor_init_without_a_target_writes_the_commented_template(cli, tmp_path) -> None:
    out = tmp_path / "template.yaml"
    assert cli("init", "--out", out).code == 0
    text = out.read_text()
    assert (
        "dropout_placement: none  # one of: none | fully_connected | input_output | before_batchnorm" in text
    )
    assert yaml.safe_load(text)["task"] is None  # required fields stay for the user to fill in
    result = cli("recommend", out)
    assert result.code == 2 and "task" in result.err
