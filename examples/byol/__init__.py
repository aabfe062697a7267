"""The BYOL example's modules (augment, model, probe), imported by train.py
as the `byol` package from examples/."""
