"""The convolution lab: convolution and pooling by hand, hand-made filters, step mode."""
