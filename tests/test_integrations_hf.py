"""training_arguments with a real Hugging Face Trainer: a tiny BERT built from a config (nothing
downloaded), a few steps on CPU, then `advisor diagnose` on the run's trainer_state.json."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
from typer.testing import CliRunner  # noqa: E402

from advisor import load_profile, recommend  # noqa: E402
from advisor.cli import app  # noqa: E402
from advisor.errors import IntegrationError  # noqa: E402
from advisor.integrations.hf_trainer import training_arguments  # noqa: E402

CONFIG = {
    "optimizer": "adamw",
    "learning_rate": 3e-4,
    "batch_size": 16,
    "beta1": 0.9,
    "beta2": 0.98,
    "eps": 1e-6,
    "weight_decay": 0.01,
    "grad_clip_norm": 1.0,
    "label_smoothing": 0.1,
    "warmup_ratio": 0.25,
    "lr_schedule": {"name": "linear", "end_factor": 0.0},
    "gradient_accumulation_steps": 2,
    "precision": "bf16",
}


class _Tokens(torch.utils.data.Dataset):
    def __init__(self, n: int = 96) -> None:
        g = torch.Generator().manual_seed(0)
        self.x = torch.randint(0, 50, (n, 12), generator=g)
        self.y = (self.x[:, 0] % 3).long()

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.x[i], "labels": self.y[i]}


def test_keyword_arguments_follow_the_config() -> None:
    kw = training_arguments(CONFIG, num_devices=2)
    assert kw["learning_rate"] == 3e-4 and kw["adam_beta2"] == 0.98 and kw["adam_epsilon"] == 1e-6
    assert kw["lr_scheduler_type"] == "linear" and kw["warmup_steps"] == 0.25
    assert kw["weight_decay"] == 0.01 and kw["max_grad_norm"] == 1.0 and kw["label_smoothing_factor"] == 0.1
    assert kw["per_device_train_batch_size"] == 4 and kw["gradient_accumulation_steps"] == 2  # 16 = 4 x 2 x 2
    assert kw["bf16"] is True and kw["fp16"] is False and kw["optim"] == "adamw_torch"


def test_schedules_the_trainer_cannot_name_point_to_build_training() -> None:
    with pytest.raises(IntegrationError, match="build_training"):
        training_arguments({**CONFIG, "lr_schedule": {"name": "step", "milestones_fraction": [0.5]}})
    with pytest.raises(IntegrationError, match="num_devices"):
        training_arguments({**CONFIG, "batch_size": 10}, num_devices=4)


def test_momentum_sgd_goes_through_optim_args() -> None:
    kw = training_arguments({"optimizer": "nesterov", "learning_rate": 0.1, "momentum": 0.9, "batch_size": 8})
    assert kw["optim"] == "sgd" and kw["optim_args"] == "momentum=0.9,nesterov=True"


def test_every_recommended_config_with_a_trainer_schedule_converts() -> None:
    from pathlib import Path

    converted = 0
    for path in sorted(Path("examples").glob("*.yaml")):
        config = recommend(load_profile(path)).config
        try:
            kw = training_arguments(config, total_steps=1000, steps_per_epoch=100)
        except IntegrationError as exc:
            assert "build_training" in str(exc), path.name
            continue
        transformers.TrainingArguments(
            output_dir="unused", use_cpu=True, **{**kw, "bf16": False, "fp16": False}
        )
        converted += 1
    assert converted >= 10


def test_a_real_trainer_runs_with_them_and_diagnose_reads_its_state(tmp_path) -> None:
    cfg = transformers.BertConfig(
        vocab_size=50,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        num_labels=3,
        max_position_embeddings=32,
    )
    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(cfg)
    kw = training_arguments(CONFIG, precision="fp32")
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path),
        max_steps=12,
        logging_steps=1,
        eval_steps=3,
        eval_strategy="steps",
        report_to=[],
        use_cpu=True,
        save_strategy="no",
        disable_tqdm=True,
        **kw,
    )
    trainer = transformers.Trainer(model=model, args=args, train_dataset=_Tokens(), eval_dataset=_Tokens(32))
    trainer.train()
    assert isinstance(getattr(trainer.optimizer, "optimizer", trainer.optimizer), torch.optim.AdamW)
    assert trainer.optimizer.defaults["betas"] == (0.9, 0.98)
    lrs = [row["learning_rate"] for row in trainer.state.log_history if "learning_rate" in row]
    assert max(lrs) == pytest.approx(3e-4) and lrs[-1] < lrs[len(lrs) // 2]  # warmup, then linear decay
    assert trainer.state.global_step == 12
    state = tmp_path / "trainer_state.json"
    trainer.state.save_to_json(str(state))
    result = CliRunner().invoke(app, ["diagnose", str(state), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert '"verdicts"' in result.output and "hf-trainer-state" in result.output
