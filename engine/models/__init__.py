"""Networks: the model registry, the spec grammar and the training graph rewrite."""
