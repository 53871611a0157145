"""cnn-tui's headless engine: MNIST data, models, summaries, inspection and training."""

__version__ = "0.1.0"
