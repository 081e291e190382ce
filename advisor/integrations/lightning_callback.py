"""A Lightning callback that trains with the advisor's config and diagnoses the run.

    class Module(L.LightningModule):
        ...
        def configure_optimizers(self):
            return advisor_optimizers(self)

    trainer = lightning.Trainer(max_epochs=10, callbacks=[AdvisorCallback("profile.yaml")])
    trainer.fit(module, train_loader, val_loader)
    callback.diagnosis.top           # e.g. "overfitting"; history.csv and diagnosis.json in out_dir

At fit start it optionally runs probes (`probes=("lr",)`) on the module and its training data, then
recommends; it replaces the module's `configure_optimizers` with the plan `build_training` makes
(parameter groups, the schedule stepped per optimizer step), clips gradients as the config says and
switches fine-tuning stages by global step. Each epoch's logged metrics and LR become the history,
which is written and diagnosed when fit ends. The DataLoader's batch size stays yours: a mismatch
with the config's is logged as a warning.
"""

from __future__ import annotations

import csv
import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import lightning as L
import torch

from advisor.core.diagnosis import Diagnosis, diagnose
from advisor.core.knowledge import KnowledgeBase, default_knowledge_base, load_knowledge_base
from advisor.core.recommendation import Recommendation, recommend
from advisor.errors import IntegrationError
from advisor.evidence.history import History, parse_history_json
from advisor.integrations.torch_training import TrainingPlan, build_training
from advisor.profile.model import Profile, load_profile

log = logging.getLogger("advisor")


class AdvisorCallback(L.Callback):
    """Apply a recommendation in a Lightning fit; write and diagnose the run's history at the end.

    `profile`: a Profile or a profile file. `probes`: probe names run at fit start on the module
    (`lr`, `batch`, ...), which then need `loss_fn(module(inputs), targets)` (or a module attribute
    `loss_fn` / `criterion`). `config`: a config to apply as is instead of recommending.
    `out_dir`: where history.csv and diagnosis.json go (default: the trainer's log dir)."""

    def __init__(
        self,
        profile: Profile | str | Path | None = None,
        *,
        probes: Sequence[str] = (),
        loss_fn: Any = None,
        config: Mapping[str, Any] | None = None,
        out_dir: str | Path | None = None,
        rules_dir: str | Path | None = None,
        monitor: str = "val_loss",
        run_diagnosis: bool = True,
        probe_options: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        if profile is None and config is None:
            raise IntegrationError("AdvisorCallback needs a `profile` (or a `config` to apply)")
        self.profile = load_profile(profile) if isinstance(profile, str | Path) else profile
        self.probes = tuple(probes)
        self.loss_fn = loss_fn
        self.given_config = dict(config) if config is not None else None
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.rules_dir = rules_dir
        self.monitor = monitor
        self.run_diagnosis = run_diagnosis
        self.probe_options = dict(probe_options or {})
        self.recommendation: Recommendation | None = None
        self.plan: TrainingPlan | None = None
        self.rows: list[dict[str, float]] = []
        self.history_path: Path | None = None
        self.diagnosis: Diagnosis | None = None

    # ---- fit start: recommend, then own configure_optimizers -------------------------------------
    @property
    def config(self) -> dict[str, Any]:
        if self.given_config is not None:
            return self.given_config
        if self.recommendation is None:
            raise IntegrationError("no recommendation yet: the callback recommends when fit starts")
        return dict(self.recommendation.config)

    def _kb(self) -> KnowledgeBase:
        return load_knowledge_base(self.rules_dir) if self.rules_dir else default_knowledge_base()

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        if stage != "fit":
            return
        if self.given_config is None:
            assert self.profile is not None
            measured = self._probe(trainer, pl_module) if self.probes else None
            self.recommendation = recommend(self.profile, measured, kb=self._kb())
        config = self.config
        pl_module.configure_optimizers = lambda: self._configure(trainer, pl_module, config)  # type: ignore[method-assign]

    def _configure(self, trainer: L.Trainer, pl_module: L.LightningModule, config: dict[str, Any]) -> Any:
        total = int(trainer.estimated_stepping_batches)
        epochs = trainer.max_epochs if trainer.max_epochs and trainer.max_epochs > 0 else None
        per_epoch = max(1, total // epochs) if epochs and math.isfinite(total) else None
        self.plan = build_training(
            config, pl_module, steps_per_epoch=per_epoch, total_steps=total if math.isfinite(total) else None
        )
        if self.plan.plateau is not None:  # stepped per epoch on the monitored metric
            return {
                "optimizer": self.plan.optimizer,
                "lr_scheduler": {
                    "scheduler": self.plan.plateau,
                    "monitor": self.monitor,
                    "interval": "epoch",
                },
            }
        return {
            "optimizer": self.plan.optimizer,
            "lr_scheduler": {"scheduler": self.plan.scheduler, "interval": "step", "frequency": 1},
        }

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        wanted = self.config.get("batch_size")
        loader = _train_loader(trainer, pl_module)
        got = getattr(loader, "batch_size", None)
        if wanted and got:
            effective = got * trainer.accumulate_grad_batches * max(1, trainer.world_size)
            if effective != wanted:
                log.warning(
                    "the config's batch_size is %s, this fit steps on %s samples (DataLoader batch %s x "
                    "accumulation %s x %s device(s)); the learning rate is for %s",
                    wanted,
                    effective,
                    got,
                    trainer.accumulate_grad_batches,
                    trainer.world_size,
                    wanted,
                )

    def _probe(self, trainer: L.Trainer, pl_module: L.LightningModule) -> Any:
        from advisor.evidence.registry import kind
        from advisor.evidence.results import ProbeResults
        from advisor_probes.runners import runner_of
        from advisor_probes.targets import ProbeTarget

        loss_fn = self.loss_fn or getattr(pl_module, "loss_fn", None) or getattr(pl_module, "criterion", None)
        if loss_fn is None:
            raise IntegrationError(
                "probes at fit start need `loss_fn` (the loss of module(inputs) vs targets)"
            )
        data = _train_loader(trainer, pl_module)
        if data is None:
            raise IntegrationError(
                "probes at fit start need the training data: pass train_dataloaders to fit"
            )
        target = ProbeTarget("lightning-module", pl_module, data, loss_fn)
        found: dict[str, Any] = {}
        for name in self.probes:
            probe = kind(name)
            assert probe.options is not None
            options = probe.options.model_validate(dict(self.probe_options.get(name, {})))
            found[probe.slot] = runner_of(probe)(target, options, _log_progress(name))
        return ProbeResults(**found)

    # ---- during fit -------------------------------------------------------------------------------
    def on_train_batch_start(
        self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        if self.plan is not None:
            self.plan.enter_stage(self.plan.stage_at(trainer.global_step))

    def on_before_optimizer_step(
        self, trainer: L.Trainer, pl_module: L.LightningModule, optimizer: Any
    ) -> None:
        if self.plan is not None:
            self.plan.clip()  # Lightning unscales AMP gradients before this hook

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        row: dict[str, float] = {"epoch": float(trainer.current_epoch + 1)}
        for name, value in trainer.callback_metrics.items():
            if (isinstance(value, torch.Tensor) and value.numel() == 1) or isinstance(value, int | float):
                row[name] = float(value)
        if trainer.optimizers:
            row["lr"] = float(trainer.optimizers[0].param_groups[-1]["lr"])
        self.rows.append(row)

    # ---- fit end: history and diagnosis -------------------------------------------------------------
    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not self.rows:
            return
        out = self.out_dir or Path(trainer.log_dir or trainer.default_root_dir) / "advisor"
        out.mkdir(parents=True, exist_ok=True)
        self.history_path = out / "history.csv"
        columns = list(dict.fromkeys(k for row in self.rows for k in row))
        with self.history_path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, columns)
            writer.writeheader()
            writer.writerows(self.rows)
        if self.run_diagnosis:
            self.diagnosis = diagnose(self.history(), profile=self.profile, kb=self._kb())
            (out / "diagnosis.json").write_text(self.diagnosis.to_json(), encoding="utf-8")
            log.info("advisor diagnosis: %s (%s)", self.diagnosis.top, out / "diagnosis.json")

    def history(self) -> History:
        """The epochs seen so far as a History (what `advisor diagnose` reads)."""
        return parse_history_json([dict(row) for row in self.rows], source="lightning fit")


def advisor_optimizers(pl_module: L.LightningModule) -> Any:
    """What a module's `configure_optimizers` returns to train with its AdvisorCallback's plan:

        def configure_optimizers(self):
            return advisor_optimizers(self)

    (Lightning refuses a module without a `configure_optimizers` before any callback runs; a module
    that has its own keeps it only until the callback replaces it at setup.)"""
    trainer = pl_module.trainer
    callback = next((c for c in trainer.callbacks if isinstance(c, AdvisorCallback)), None)
    if callback is None:
        raise IntegrationError("advisor_optimizers needs an AdvisorCallback among the Trainer's callbacks")
    return callback._configure(trainer, pl_module, callback.config)


def _train_loader(trainer: L.Trainer, pl_module: L.LightningModule) -> Any:
    """The fit's training DataLoader: from a datamodule, the data given to fit, or the module."""
    if trainer.datamodule is not None:
        return trainer.datamodule.train_dataloader()
    source = getattr(trainer.fit_loop, "_data_source", None)  # what fit(train_dataloaders=...) got
    if source is not None and source.is_defined():
        return source.dataloader()
    return None


def _log_progress(name: str) -> Any:
    def progress(done: float | None, status: str) -> None:
        if done is not None:
            log.info("advisor probe %s: %3.0f%% %s", name, 100 * done, status)

    return progress
