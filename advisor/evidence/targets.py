"""Built-in probe targets, torch-free: the CLI accepts them by name and they are the server's
default allow-list (name -> import spec of a zero-argument factory)."""

BUILTIN_TARGETS = {
    "digits-mlp": "advisor_probes.examples:digits_mlp",
    "digits-cnn": "advisor_probes.examples:digits_cnn",
    "lstm": "advisor_probes.examples:lstm_sequences",
}
