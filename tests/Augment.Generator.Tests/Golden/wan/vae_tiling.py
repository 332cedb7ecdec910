#!/usr/bin/python3
"""Runs the reference kit (shared/reference/make_reference.py) on a wan-vae case with diffusers' spatial tiling on:
after the kit builds AutoencoderKLWan, enable_tiling(**TILING) is called with the "tiling" object of the --config file
(enable_tiling's own argument names: tile_sample_min_height/width, tile_sample_stride_height/width). Encode and decode
then go through the official tiled_encode/tiled_decode whenever the input is larger than one tile, the float64 rerun
(--f64) and --check included. The kit's config.json is written as usual, plus that "tiling" object, so it is itself a
valid --config for this script and for `augment models forward --model wan-vae`. Everything else is the official
code unchanged.

  /usr/bin/python3 vae_tiling.py <make_reference.py arguments>      (--model wan-vae; DIFFUSERS_SRC set as for the kit)
"""
import json
import os
import sys

KIT = os.environ.get("REFERENCE_KIT", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../../../shared/reference"))
sys.path.insert(0, KIT)
import make_reference  # noqa: E402

args = sys.argv[1:]
config = args[args.index("--config") + 1]
out = args[args.index("--out") + 1]
tiling = json.load(open(config))["tiling"]
kit_build = make_reference.build


def build(kind, kwargs, diffusers_src=None):
    model = kit_build(kind, kwargs, diffusers_src)
    model.enable_tiling(**tiling)
    return model


make_reference.build = build
rc = make_reference.main(args)
path = os.path.join(out, "config.json")
record = json.load(open(path))
record["tiling"] = tiling
record["regenerate"] = record["regenerate"].replace("make_reference.py", "vae_tiling.py")
with open(path, "w") as f:
    json.dump(record, f, indent=1)
sys.exit(rc)
