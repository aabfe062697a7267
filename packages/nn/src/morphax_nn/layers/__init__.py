"""The layers of morphax_nn, one family per file."""
