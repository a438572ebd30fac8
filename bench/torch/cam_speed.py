"""Score-CAM and Ablation-CAM at `layer4` of a ResNet-18 (224×224) in plain PyTorch.

The reference half of bench/cam-speed.mjs: the same computation that pytorch-grad-cam does,
written out here (that library is not installed), timed on 2 threads, with the maps saved as
.npy and the network exported to ONNX so the Node side runs the very same weights.

    /usr/bin/python3 bench/torch/cam_speed.py --onnx-out /tmp/xai-bench/resnet18.onnx \
        [--batch 32] [--repeat 3] [--out-dir DIR]

Writes, in --out-dir (default: the folder of --onnx-out): input.npy (1×3×224×224, NCHW),
logits.npy (1×1000, of the intact input), scorecam.npy, ablationcam.npy (224×224, post-processed the pytorch-grad-cam way) and
ablationcam_suffix.npy (the suffix-only variant's map, which must equal the full one).
Prints one JSON object on the last line of stdout.

Methods (target = the top class of the intact image, its logit the score):
  Score-CAM            each of the 512 layer4 channels upsampled to 224×224 (bilinear,
                       align_corners=True), min-max normalised (eps 1e-8), multiplied into the
                       input; the masked inputs scored through the whole model in batches of B;
                       weights = softmax over channels of the target's logits.
  Ablation-CAM (full)  as pytorch-grad-cam does it: for every batch of B channels the whole
                       model runs on B copies of the input, with layer4 swapped for a module
                       that returns the cached layer4 activations with channel k zeroed in copy
                       k (so everything before layer4 is recomputed for every batch);
                       weights = (score − ablated score) / score.
  Ablation-CAM (suffix) the same weights, but only avgpool + fc run on the ablated activations.
Each map: ReLU(Σ_k w_k A_k), min-max normalised (eps 1e-7), bilinearly resized to 224×224
(half-pixel centres, like cv2.INTER_LINEAR), min-max normalised again.
"""

import argparse
import json
import os
import statistics
import sys
import time

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
    import torchvision
except ImportError as error:  # the Node side turns this exit code into its own message
    print(f"cam_speed.py: {error}; install Debian's python3-torch python3-torchvision python3-onnx "
          "and run with /usr/bin/python3", file=sys.stderr)
    sys.exit(3)

SIZE = 224
SCORE_EPS = 1e-8  # pytorch-grad-cam's Score-CAM mask normalisation
CAM_EPS = 1e-7  # pytorch-grad-cam's scale_cam_image


def build_model():
    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None)
    model.eval()
    return model


def make_input():
    generator = torch.Generator().manual_seed(1)
    return torch.randn(1, 3, SIZE, SIZE, generator=generator)


def forward_with_layer4(model, x):
    """Logits and the layer4 output of one forward pass."""
    store = {}
    handle = model.layer4.register_forward_hook(lambda _m, _i, out: store.__setitem__("a", out))
    try:
        logits = model(x)
    finally:
        handle.remove()
    return logits, store["a"]


def normalize(maps, eps):
    """Each map of [N, H, W] on its own: (m − min) / (max(m − min) + eps)."""
    flat = maps.reshape(maps.shape[0], -1)
    shifted = flat - flat.min(dim=1, keepdim=True)[0]
    return (shifted / (shifted.max(dim=1, keepdim=True)[0] + eps)).reshape(maps.shape)


def post_process(weights, activations):
    """pytorch-grad-cam's way from channel weights to a 224×224 map (one layer)."""
    cam = torch.relu((weights[:, None, None] * activations[0]).sum(dim=0))
    cam = normalize(cam[None], CAM_EPS)
    cam = F.interpolate(cam[None], size=(SIZE, SIZE), mode="bilinear", align_corners=False)[0]
    # One layer: the aggregation is ReLU (a no-op on [0, 1]), a mean over one map, and normalising again.
    return normalize(torch.relu(cam), CAM_EPS)[0]


def score_cam(model, x, batch):
    logits, activations = forward_with_layer4(model, x)
    target = int(logits[0].argmax())
    channels = activations.shape[1]
    scores = torch.empty(channels)
    for start in range(0, channels, batch):
        chunk = activations[0, start:start + batch][:, None]  # [n, 1, 7, 7]
        masks = F.interpolate(chunk, size=(SIZE, SIZE), mode="bilinear", align_corners=True)[:, 0]
        masks = normalize(masks, SCORE_EPS)
        scores[start:start + chunk.shape[0]] = model(x * masks[:, None])[:, target]
    weights = torch.softmax(scores, dim=0)
    return target, post_process(weights, activations)


def ablated_copies(activations, channels):
    """[len(channels), C, h, w]: copy i of the activations with channel channels[i] zeroed."""
    out = activations.repeat(len(channels), 1, 1, 1)
    out[torch.arange(len(channels)), channels] = 0
    return out


class Replay(torch.nn.Module):
    """Stands in for layer4 and returns what it was given, whatever its input (the ablation layer)."""

    def __init__(self):
        super().__init__()
        self.output = None

    def forward(self, _x):
        return self.output


def ablation_cam_full(model, x, batch):
    logits, activations = forward_with_layer4(model, x)
    target = int(logits[0].argmax())
    original = float(logits[0, target])
    channels = activations.shape[1]
    scores = torch.empty(channels)
    layer4, replay = model.layer4, Replay()
    model.layer4 = replay
    try:
        for start in range(0, channels, batch):
            indices = torch.arange(start, min(start + batch, channels))
            replay.output = ablated_copies(activations, indices)
            scores[indices] = model(x.repeat(len(indices), 1, 1, 1))[:, target]
    finally:
        model.layer4 = layer4
    weights = (original - scores) / original
    return target, post_process(weights, activations)


def ablation_cam_suffix(model, x, batch):
    logits, activations = forward_with_layer4(model, x)
    target = int(logits[0].argmax())
    original = float(logits[0, target])
    channels = activations.shape[1]
    scores = torch.empty(channels)
    for start in range(0, channels, batch):
        indices = torch.arange(start, min(start + batch, channels))
        ablated = ablated_copies(activations, indices)
        scores[indices] = model.fc(torch.flatten(model.avgpool(ablated), 1))[:, target]
    weights = (original - scores) / original
    return target, post_process(weights, activations)


def median_seconds(repeat, work):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result


def export_onnx(model, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    torch.onnx.export(
        model, make_input(), path, opset_version=13, input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, do_constant_folding=True,
    )
    try:
        import onnx
        onnx.checker.check_model(onnx.load(path))
    except ImportError:
        print("cam_speed.py: python3-onnx is not installed; the export is not checked", file=sys.stderr)


def prepare(args):
    """What both benchmarks do first, from their --out-dir, --onnx-out and --threads: sets the
    thread count (unless it is 0), builds the seeded network and its input, exports the network to ONNX and saves
    the input as input.npy. Returns (out_dir, model, x)."""
    out_dir = args.out_dir or os.path.dirname(os.path.abspath(args.onnx_out))
    os.makedirs(out_dir, exist_ok=True)
    if args.threads > 0:  # 0: PyTorch's own choice, as a script that never sets it gets
        torch.set_num_threads(args.threads)
    model = build_model()
    x = make_input()
    export_onnx(model, args.onnx_out)
    np.save(os.path.join(out_dir, "input.npy"), x.numpy().astype(np.float32))
    return out_dir, model, x


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--onnx-out", required=True, help="where to write the ResNet-18 as ONNX")
    parser.add_argument("--out-dir", help="where the .npy files go (default: the folder of --onnx-out)")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    out_dir, model, x = prepare(args)

    with torch.no_grad():
        # Warm-up: one pass at batch 1 and one at batch B (allocator, thread pool), outside the timings.
        logits = model(x)
        model(x.repeat(args.batch, 1, 1, 1))
        score_s, score_all, (t1, score_map) = median_seconds(args.repeat, lambda: score_cam(model, x, args.batch))
        full_s, full_all, (t2, full_map) = median_seconds(args.repeat, lambda: ablation_cam_full(model, x, args.batch))
        ablation_cam_suffix(model, x, args.batch)  # warm-up of the small ops
        suffix_s, suffix_all, (t3, suffix_map) = median_seconds(args.repeat, lambda: ablation_cam_suffix(model, x, args.batch))
    assert t1 == t2 == t3, (t1, t2, t3)

    np.save(os.path.join(out_dir, "logits.npy"), logits.numpy().astype(np.float32))
    np.save(os.path.join(out_dir, "scorecam.npy"), score_map.numpy().astype(np.float32))
    np.save(os.path.join(out_dir, "ablationcam.npy"), full_map.numpy().astype(np.float32))
    np.save(os.path.join(out_dir, "ablationcam_suffix.npy"), suffix_map.numpy().astype(np.float32))
    top2 = logits[0].topk(2).values
    print(json.dumps({
        "scorecam_s": score_s,
        "ablationcam_full_s": full_s,
        "ablationcam_suffix_s": suffix_s,
        "runs": {"scorecam": score_all, "ablationcam_full": full_all, "ablationcam_suffix": suffix_all},
        "batch": args.batch,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "target": t1,
        "top_logit_margin": float(top2[0] - top2[1]),
        "full_vs_suffix_max_abs": float((full_map - suffix_map).abs().max()),
        "onnx": os.path.abspath(args.onnx_out),
        "out_dir": out_dir,
    }))


if __name__ == "__main__":
    main()
