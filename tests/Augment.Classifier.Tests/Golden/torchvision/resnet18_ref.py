"""Golden for Augment's FrameResNet18: torchvision 0.14.1 resnet18 (1000 classes) with the reference kit's --init hash
weights (seed 0), run on every frame of a [1,3,3,32,40] clip; output = per-frame logits averaged over time, features =
the per-frame avgpool outputs averaged over time; f32_error_vs_f64 as the kit measures it."""
import json, sys
sys.path.insert(0, '/work/shared/reference')
import torch, torchvision
import make_reference as mr, st

def run(model, video):
    b, c, t, h, w = video.shape
    frames = video.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w)
    seen = {}
    hook = model.avgpool.register_forward_hook(lambda m, i, o: seen.setdefault("f", o))
    logits = model(frames)
    hook.remove()
    return {"output": logits.view(b, t, -1).mean(1), "features": seen["f"].flatten(1).view(b, t, -1).mean(1)}

model = torchvision.models.resnet18(weights=None, num_classes=1000).eval()
mr.hash_init(model, 0)
g = torch.Generator().manual_seed(0 + 3)
video = torch.randn([1, 3, 3, 32, 40], generator=g)
with torch.no_grad():
    out = run(model, video)
    model.double()
    out64 = run(model, video.double())
err = {k: ((out[k].double() - out64[k]).abs().max() / out64[k].abs().max()).item() for k in out}
print(err)
d = sys.argv[1]
st.save(f"{d}/resnet18.io.safetensors", {"video": video, **out}, {"inputs": "video", "outputs": "output,features"})
json.dump({"model": {"arch": "resnet18", "num_classes": 1000}, "init": "hash", "seed": 0, "f32_error_vs_f64": err,
           "torch": torch.__version__, "torchvision": torchvision.__version__,
           "made_by": "tests/Augment.Classifier.Tests/Golden/torchvision/resnet18_ref.py"}, open(f"{d}/resnet18.config.json", "w"), indent=1)
with open(f"{d}/resnet18-names.txt", "w") as f:
    for k, v in model.state_dict().items():
        f.write(f"{k}\t{list(v.shape)}\n")
