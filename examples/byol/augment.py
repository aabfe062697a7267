"""BYOL's image augmentations, written in morphax: random shifts (pad, then
a per-image dynamic_slice), contrast and brightness jitter, gaussian noise
and random erasing. Each takes a key and a batch float32[B, H, W, C]."""

import morphax
import morphax.lax as lax
import morphax.numpy as jnp
import morphax_rng as random


def random_shift(key, images, max_shift):
  """Translate each image by up to `max_shift` pixels in each direction,
  filling with zeros (the background): pad, then cut a random window."""
  b, h, w, c = images.shape
  padded = jnp.pad(images, ((0, 0), (max_shift, max_shift),
                            (max_shift, max_shift), (0, 0)))
  offsets = random.randint(key, (b, 2), 0, 2 * max_shift + 1)
  cut = lambda image, o: lax.dynamic_slice(image, (o[0], o[1], 0), (h, w, c))
  return morphax.vmap(cut)(padded, offsets)


def color_jitter(key, images, contrast, brightness):
  """Scale each image's deviation from its mean by a factor in
  [1 - contrast, 1 + contrast], then add an offset in +-brightness."""
  b = images.shape[0]
  k_contrast, k_brightness = random.split(key)
  factor = random.uniform(k_contrast, (b, 1, 1, 1), minval=1 - contrast,
                          maxval=1 + contrast)
  offset = random.uniform(k_brightness, (b, 1, 1, 1), minval=-brightness,
                          maxval=brightness)
  mean = images.mean(axis=(1, 2, 3), keepdims=True)
  return (images - mean) * factor + mean + offset


def gaussian_noise(key, images, stddev):
  """Add independent N(0, stddev^2) noise to every pixel."""
  return images + stddev * random.normal(key, images.shape)


def random_erase(key, images, size, probability):
  """With `probability`, zero a `size` x `size` square at a random place
  in each image (a mask built from iota comparisons, no gather)."""
  b, h, w, _ = images.shape
  k_apply, k_row, k_col = random.split(key, 3)
  apply = random.bernoulli(k_apply, probability, (b, 1, 1, 1))
  top = random.randint(k_row, (b, 1, 1, 1), 0, h - size + 1)
  left = random.randint(k_col, (b, 1, 1, 1), 0, w - size + 1)
  rows = jnp.arange(h).reshape(1, h, 1, 1)
  cols = jnp.arange(w).reshape(1, 1, w, 1)
  inside = (rows >= top) & (rows < top + size) & (cols >= left) & (cols < left + size)
  return jnp.where(apply & inside, 0.0, images)


def augment(key, images, *, max_shift=1, contrast=0.4, brightness=0.2,
            noise=0.1, erase_size=3, erase_probability=0.25):
  """One random view of each image: shift, jitter, noise, erase."""
  k_shift, k_color, k_noise, k_erase = random.split(key, 4)
  images = random_shift(k_shift, images, max_shift)
  images = color_jitter(k_color, images, contrast, brightness)
  images = gaussian_noise(k_noise, images, noise)
  return random_erase(k_erase, images, erase_size, erase_probability)
