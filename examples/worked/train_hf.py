"""The same flow with the Hugging Face Trainer: a tiny BERT built from a config (nothing downloaded)
learns whether a token sequence contains token 7; its profile is inferred in-script, the Trainer's
arguments come from the recommendation, and the run's trainer_state.json goes to `advisor diagnose`.

    python examples/worked/train_hf.py out/worked-hf
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

from advisor import profile_from, recommend
from advisor.integrations import training_arguments


class Tokens(torch.utils.data.Dataset):
    def __init__(self, n: int, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randint(1, 40, (n, 16), generator=g)
        self.y = (self.x == 7).any(1).long()

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.x[i], "labels": self.y[i]}


def main(out: str = "out/worked-hf") -> None:
    torch.manual_seed(0)
    config = BertConfig(vocab_size=40, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=128, num_labels=2, max_position_embeddings=32)
    model = BertForSequenceClassification(config)
    train, valid = Tokens(2000, 0), Tokens(500, 1)
    profile = profile_from(model, train, known={"name": "tiny-bert-token7", "budget": {"trials": 5, "epochs": 3},
                                                "hardware": {"device": "cpu"}})
    rec = recommend(profile)
    kwargs = training_arguments(rec.config)
    print("TrainingArguments from the advisor:", kwargs)
    args = TrainingArguments(output_dir=out, num_train_epochs=3, eval_strategy="epoch", logging_strategy="epoch",
                             save_strategy="no", report_to=[], use_cpu=True, disable_tqdm=True, **kwargs)
    trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=valid)
    trainer.train()
    state = Path(out) / "trainer_state.json"
    trainer.state.save_to_json(str(state))
    print(f"wrote {state}; next: advisor diagnose {state}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
