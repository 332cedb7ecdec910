#!/usr/bin/python3
"""A 2-step Wan sampling loop from the official pieces, as diffusers' WanPipeline runs it after the text encoder:
FlowMatchEulerDiscreteScheduler(shift).set_timesteps(n); per step the transformer on the latents with the prompt and
with the negative prompt, noise_pred = uncond + g * (cond - uncond), scheduler.step. Uses the kit (shared/reference)
for the model and the files; the weights are transformer/'s. Writes io.safetensors (inputs: latents, prompt_embeds,
negative_prompt_embeds; output: output) and config.json with f32_error_vs_f64 of a float64 rerun.

  /usr/bin/python3 sampling_loop.py OUT_DIR      (run from this folder; DIFFUSERS_SRC set as for the kit)
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("REFERENCE_KIT", os.path.join(HERE, "../../../../../shared/reference")))
import make_reference  # noqa: E402
import st  # noqa: E402

STEPS, GUIDANCE, SHIFT, SEED = 2, 5.0, 3.0, 0
out_dir = sys.argv[1]
kit = json.load(open(os.path.join(HERE, "transformer", "config.json")))
model = make_reference.build("wan-transformer", kit["model"], os.environ.get("DIFFUSERS_SRC")).eval()
model.load_state_dict(st.load(os.path.join(HERE, "transformer", "weights.safetensors")), strict=True)
Scheduler = make_reference.model_class("flow-euler-scheduler", os.environ.get("DIFFUSERS_SRC"))

g = torch.Generator().manual_seed(SEED + 3)
io = {"latents": torch.randn(1, 4, 2, 16, 16, generator=g), "prompt_embeds": torch.randn(1, 12, 16, generator=g),
      "negative_prompt_embeds": torch.randn(1, 12, 16, generator=g)}


def sample(dtype):
    scheduler = Scheduler(num_train_timesteps=1000, shift=SHIFT)
    scheduler.set_timesteps(STEPS)
    latents = io["latents"].to(dtype)
    with torch.no_grad():
        for t in scheduler.timesteps:
            timestep = t.expand(latents.shape[0])
            cond = model(hidden_states=latents, timestep=timestep, encoder_hidden_states=io["prompt_embeds"].to(dtype), return_dict=False)[0]
            uncond = model(hidden_states=latents, timestep=timestep, encoder_hidden_states=io["negative_prompt_embeds"].to(dtype), return_dict=False)[0]
            latents = scheduler.step(uncond + GUIDANCE * (cond - uncond), t, latents, return_dict=False)[0]
    return latents


out = sample(torch.float32)
model.double()
out64 = sample(torch.float64)
noise = ((out.double() - out64).abs().max() / out64.abs().max()).item()
os.makedirs(out_dir, exist_ok=True)
st.save(os.path.join(out_dir, "io.safetensors"), {**io, "output": out},
        {"inputs": "latents,prompt_embeds,negative_prompt_embeds", "outputs": "output"})
json.dump({"model": kit["model"], "steps": STEPS, "guidance_scale": GUIDANCE, "shift": SHIFT, "seed": SEED,
           "output_keys": ["output"], "f32_error_vs_f64": {"output": noise}, "torch": torch.__version__,
           "regenerate": "/usr/bin/python3 sampling_loop.py OUT_DIR"}, open(os.path.join(out_dir, "config.json"), "w"), indent=1)
print(f"wrote {out_dir}; f32 vs f64 {noise:.2e}")
