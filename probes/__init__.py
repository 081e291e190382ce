"""PyTorch probe runs (LR range test, batch-size memory probe); the only place that imports torch.

Installed as `advisor_probes`. The probes arrive with the probes issue."""
