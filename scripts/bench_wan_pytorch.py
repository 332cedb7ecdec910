#!/usr/bin/python3
"""The PyTorch side of `augment bench wan-transformer`: the official diffusers WanTransformer3DModel (through the
reference kit's shims) on the same config, inputs and thread count, fp32 on the CPU; prints the same two medians.

  DIFFUSERS_SRC=... /usr/bin/python3 scripts/bench_wan_pytorch.py [--config CONFIG.json] [--threads N] [--repeats 3]
  (--kit shared/reference by default; the default config is the C# bench's)
"""
import argparse
import json
import os
import sys
import time

import torch

DEFAULT = {"model": {"num_attention_heads": 12, "attention_head_dim": 128, "in_channels": 16, "out_channels": 16, "text_dim": 4096,
                     "freq_dim": 256, "ffn_dim": 8960, "num_layers": 2, "rope_max_seq_len": 1024},
           "inputs": {"hidden_states": [1, 16, 2, 32, 32], "encoder_hidden_states": [1, 128, 4096]}, "lora_rank": 32}

ap = argparse.ArgumentParser()
ap.add_argument("--config")
ap.add_argument("--threads", type=int, default=0)
ap.add_argument("--repeats", type=int, default=3)
ap.add_argument("--kit", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../shared/reference"))
args = ap.parse_args()
sys.path.insert(0, args.kit)
import make_reference  # noqa: E402

cfg = json.load(open(args.config)) if args.config else DEFAULT
if args.threads:
    torch.set_num_threads(args.threads)
torch.manual_seed(0)
model = make_reference.build("wan-transformer", cfg["model"], os.environ.get("DIFFUSERS_SRC")).eval()
x = torch.randn(cfg["inputs"]["hidden_states"])
text = torch.randn(cfg["inputs"]["encoder_hidden_states"])
t = torch.full((x.shape[0],), 500.0)


def median(work):
    work()
    times = []
    for _ in range(max(1, args.repeats)):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def forward():
    with torch.no_grad():
        model(x, t, text, return_dict=False)


fwd = median(forward)
for p in model.parameters():
    p.requires_grad_(False)
rank = cfg.get("lora_rank", 32)
lora = make_reference.LoRA(model, rank, float(rank), seed=0)
params = [p for pair in lora.params.values() for p in pair]


def step():
    with torch.enable_grad():
        for p in params:
            p.requires_grad_(True)
        model(x, t, text, return_dict=False)[0].pow(2).mean().backward()
        for p in params:
            p.grad = None


stp = median(step)
print(f"pytorch {torch.__version__}, {torch.get_num_threads()} threads: forward {fwd * 1000:.0f} ms, LoRA step {stp * 1000:.0f} ms")
