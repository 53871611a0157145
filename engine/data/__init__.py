"""Datasets: IDX reading, the MNIST splits as uint8 tensors, batch augmentation."""
