#!/usr/bin/python3
"""Runs the reference kit (shared/reference/make_reference.py) with one substitution: the float32 frequency table
exp(-ln(10^4)*i/half) inside diffusers' get_timestep_embedding is read from FREQS instead of computed by this
torch's exp. diffusers computes those timestep features in float32 whatever the model's dtype, so the kit's f64
rerun cannot see their rounding, and torch 1.13's exp and libtorch 2.10's differ in the last bit of 17 of the 128
values (the features then move by 3e-5). With libtorch's table both sides share the same features, so what is left
is the port's own error. Everything else is the official code unchanged.

  /usr/bin/python3 same_exp.py FREQS.safetensors <make_reference.py arguments>
"""
import os
import sys

import torch

KIT = os.environ.get("REFERENCE_KIT", os.path.join(os.path.dirname(__file__), "../../../../../shared/reference"))
sys.path.insert(0, KIT)
import make_reference  # noqa: E402
import shims  # noqa: E402
import st  # noqa: E402

freqs = st.load(sys.argv[1])["freqs"]
shims.setup(os.environ.get("DIFFUSERS_SRC"))
import diffusers.models.embeddings as embeddings  # noqa: E402


def get_timestep_embedding(timesteps, embedding_dim, flip_sin_to_cos=False, downscale_freq_shift=1, scale=1,
                           max_period=10000):
    half = embedding_dim // 2
    assert downscale_freq_shift == 0 and max_period == 10000 and embedding_dim % 2 == 0 and half == freqs.numel()
    emb = scale * (timesteps[:, None].float() * freqs[None, :])
    emb = torch.cat([torch.sin(emb), torch.cos(emb)], dim=-1)
    return torch.cat([emb[:, half:], emb[:, :half]], dim=-1) if flip_sin_to_cos else emb


embeddings.get_timestep_embedding = get_timestep_embedding
sys.exit(make_reference.main(sys.argv[2:]))
