"""Statistics of the model: the maximum-likelihood reference with its inference (mle), and the
loss surfaces with their gradients and curvature (landscape)."""
