"""The byte-level decoder-only transformer of the example: token and learned
position embeddings, pre-LayerNorm blocks of causal self-attention and a GELU
MLP, optional weight tying. Import after `common.parse_args` (it imports
morphax_nn, which starts the backend)."""

import morphax.numpy as jnp
import morphax_nn as nn


class Block(nn.Module):
  """x + attention(LayerNorm(x)), then x + MLP(LayerNorm(x))."""
  num_heads: int
  mlp_ratio: int = 4

  @nn.compact
  def __call__(self, x, mask):
    width = x.shape[-1]
    h = nn.LayerNorm(name="ln_attention")(x)
    x = x + nn.MultiHeadDotProductAttention(num_heads=self.num_heads,
                                            name="attention")(h, mask=mask)
    h = nn.LayerNorm(name="ln_mlp")(x)
    h = nn.gelu(nn.Dense(self.mlp_ratio * width, name="mlp_in")(h))
    return x + nn.Dense(width, name="mlp_out")(h)


class ByteLM(nn.Module):
  """Logits float32[batch, length, vocab] of the next byte at each position
  of `tokens` int[batch, length] (length <= max_len); position t sees only
  tokens 0..t (causal mask)."""
  vocab_size: int = 256
  d_model: int = 128
  num_heads: int = 4
  num_layers: int = 4
  max_len: int = 128
  tie_embeddings: bool = False

  @nn.compact
  def __call__(self, tokens):
    length = tokens.shape[-1]
    embed = nn.Embed(self.vocab_size, self.d_model,
                     embedding_init=nn.initializers.normal(0.02), name="embed")
    positions = self.param("pos_embedding", nn.initializers.normal(0.02),
                           (self.max_len, self.d_model))
    x = embed(tokens) + positions[:length]
    mask = nn.make_causal_mask(tokens)
    for i in range(self.num_layers):
      x = Block(self.num_heads, name=f"block_{i}")(x, mask)
    x = nn.LayerNorm(name="ln_final")(x)
    if self.tie_embeddings:
      return embed.attend(x)
    return nn.Dense(self.vocab_size, name="head")(x)


def count_parameters(params):
  """The number of scalars in a parameter tree."""
  import morphax
  return sum(int(x.size) for x in morphax.tree_util.tree_leaves(params))


def decay_mask(params):
  """Weight decay on matrices (kernels, embeddings) only, not on biases or
  LayerNorm scales: the usual AdamW recipe for transformers."""
  import morphax
  return morphax.tree_util.tree_map(lambda p: jnp.ndim(p) > 1, params)
