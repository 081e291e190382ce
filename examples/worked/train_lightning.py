"""Train the model of model.py with Lightning and the advisor's config; diagnose the run at the end.

python examples/worked/train_lightning.py examples/worked/profile.yaml
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import lightning as L
import torch
from torch import nn
from torch.utils.data import DataLoader

sys.path.insert(0, str(Path(__file__).parent))
from model import DigitsNet, digits

from advisor import load_profile, recommend
from advisor.integrations import AdvisorCallback, advisor_optimizers


class Module(L.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.net, self.loss_fn = DigitsNet(), nn.CrossEntropyLoss()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = self.loss_fn(self(x), y)
        self.log("train_loss", loss, on_step=False, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val_loss", self.loss_fn(logits, y))
        self.log("val_acc", (logits.argmax(1) == y).float().mean())

    def configure_optimizers(self):
        return advisor_optimizers(self)  # the AdvisorCallback's optimizer and per-step schedule


def main(profile: str, epochs: int = 12, out: str = "out/worked") -> None:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    torch.manual_seed(0)
    rec = recommend(load_profile(profile))
    config = rec.config  # the DataLoader's batch comes from it; the callback applies the rest
    advisor = AdvisorCallback(load_profile(profile), config=config, out_dir=out)
    trainer = L.Trainer(
        max_epochs=epochs,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[advisor],
    )
    trainer.fit(
        Module(),
        DataLoader(digits("train"), batch_size=config["batch_size"], shuffle=True),
        DataLoader(digits("valid"), batch_size=256),
    )
    print(
        f"trained {epochs} epochs with {config['optimizer']} lr={config['learning_rate']:g} "
        f"schedule={config['lr_schedule']['name']}; val_acc={trainer.callback_metrics['val_acc']:.3f}"
    )
    print(
        f"history: {advisor.history_path}; diagnosis: {advisor.diagnosis.top} -> advisor diagnose "
        f"{advisor.history_path} --profile {profile}"
    )


if __name__ == "__main__":
    main(*sys.argv[1:2])
