"""The Conv lab tab: hand-made filters, padding, stride, pooling, step mode."""
