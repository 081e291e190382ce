from __future__ import annotations

import random

import numpy as np
import torch
from torch import nn

from advisor_probes import preserved_state


def test_everything_is_restored_bit_for_bit() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    x = torch.randn(16, 4)
    model(x).sum().backward()
    opt.step()  # optimizer state exists
    model.eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    grads = [p.grad.clone() for p in model.parameters()]
    opt_before = opt.state_dict()["state"][0]["exp_avg"].clone()
    rng = (torch.get_rng_state(), np.random.get_state()[1].copy(), random.getstate())

    with preserved_state(model, opt, sched) as snap:
        model.train()
        for _ in range(3):
            opt.zero_grad()
            model(torch.randn(16, 4)).pow(2).sum().backward()
            opt.step()
            sched.step()
        random.random()
        np.random.rand()
        assert snap.differences()  # the body really changed things

    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # incl. BatchNorm running stats
    assert all(torch.equal(g, p.grad) for g, p in zip(grads, model.parameters(), strict=True))
    assert torch.equal(opt.state_dict()["state"][0]["exp_avg"], opt_before)
    assert sched.get_last_lr() == [1e-2] and opt.param_groups[0]["lr"] == 1e-2
    assert not model.training
    assert torch.equal(torch.get_rng_state(), rng[0])
    assert np.array_equal(np.random.get_state()[1], rng[1]) and random.getstate() == rng[2]


def test_restores_even_when_the_body_raises() -> None:
    model = nn.Linear(2, 2)
    weight = model.weight.detach().clone()
    try:
        with preserved_state(model):
            with torch.no_grad():
                model.weight.add_(1)
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert torch.equal(model.weight, weight)
