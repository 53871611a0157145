"""Training: config, events, steps, state, the loop, checkpoints, history, device switches."""
