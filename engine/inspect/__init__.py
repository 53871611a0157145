"""Looking inside a model: layer summary, activations, kernels and attribution."""
