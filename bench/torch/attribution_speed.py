"""Integrated Gradients (32 steps) and Occlusion on a ResNet-18 (224×224) in plain PyTorch.

The reference half of bench/attribution-speed.mjs: the same computation that Captum does
(Captum is not installed), written out here, timed on 2 threads, with the attributions saved as
.npy and the network exported to ONNX so the Node side runs the very same weights. The network,
its input and the export are bench/torch/cam_speed.py's (imported from it).

    /usr/bin/python3 bench/torch/attribution_speed.py --onnx-out /tmp/xai-bench/resnet18.onnx \
        [--steps 32] [--batch 8] [--window 32] [--stride 16] [--repeat 3] [--out-dir DIR]

Writes, in --out-dir (default: the folder of --onnx-out): input.npy (1×3×224×224, NCHW),
logits.npy (1×1000, of the intact input), integrated_gradients.npy and occlusion.npy (the signed
attributions, 1×3×224×224, NCHW). Prints one JSON object on the last line of stdout.

Methods (target = the top class of the intact image, its raw logit the score):
  Integrated Gradients  baseline zeros; Gauss–Legendre points of numpy's leggauss(steps) on
                        [−1, 1] mapped to α = (t + 1)/2, w = w_t/2 (Captum's default rule);
                        ∂y_c/∂x at α_k·x by torch.autograd.grad, B scaled inputs a backward pass;
                        attribution = x ⊙ Σ_k w_k ∂y_c/∂x(α_k x) (sum in float64). Also Captum's
                        convergence delta Σ attribution − (y_c(x) − y_c(0)), one forward pass of
                        the pair, as our method computes it on every run.
  Occlusion             window 3×W×W, stride S on each spatial axis (Captum's
                        ceil((224 − W)/S) + 1 windows per axis, the last cut at the edge),
                        baseline 0; B occluded copies a forward pass; each input value gets the
                        mean over the windows that cover it of y_c(x) − y_c(x with the window 0).
"""

import argparse
import json
import math
import os
import sys

try:
    import numpy as np
    import torch
    import torchvision
except ImportError as error:  # the Node side turns this exit code into its own message
    print(f"attribution_speed.py: {error}; install Debian's python3-torch python3-torchvision python3-onnx "
          "and run with /usr/bin/python3", file=sys.stderr)
    sys.exit(3)

sys.dont_write_bytecode = True  # no bench/torch/__pycache__ from the import below
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cam_speed import SIZE, median_seconds, prepare  # noqa: E402


def gauss_legendre(steps):
    """Captum's default rule on [0, 1]: α = (t + 1)/2, w = w_t/2 from leggauss(steps)."""
    t, w = np.polynomial.legendre.leggauss(steps)
    return (t + 1) / 2, w / 2


def integrated_gradients(model, x, target, steps, batch):
    alphas, weights = gauss_legendre(steps)
    total = torch.zeros(x.shape[1:], dtype=torch.float64)
    for start in range(0, steps, batch):
        a = torch.tensor(alphas[start:start + batch], dtype=torch.float32)
        w = torch.tensor(weights[start:start + batch], dtype=torch.float64)
        scaled = (a[:, None, None, None] * x).requires_grad_(True)  # baseline 0: x' + α(x − x') = αx
        scores = model(scaled)[:, target]
        (gradient,) = torch.autograd.grad(scores.sum(), scaled)
        total += (w[:, None, None, None] * gradient.double()).sum(dim=0)
    attribution = (total * x[0].double()).float()[None]
    with torch.no_grad():
        pair = model(torch.cat([x, torch.zeros_like(x)]))[:, target]
    delta = float(attribution.double().sum() - (pair[0] - pair[1]).double())
    return attribution, delta


def window_axis(length, window, stride):
    count = math.ceil((length - window) / stride) + 1
    return [(i * stride, min(length, i * stride + window)) for i in range(count)]


def occlusion(model, x, target, window, stride, batch):
    rows, cols = window_axis(SIZE, window, stride), window_axis(SIZE, window, stride)
    windows = [(r, c) for r in rows for c in cols]
    with torch.no_grad():
        intact = model(x)[0, target]
        drops = torch.empty(len(windows))
        for start in range(0, len(windows), batch):
            chunk = windows[start:start + batch]
            occluded = x.repeat(len(chunk), 1, 1, 1)
            for i, ((y0, y1), (x0, x1)) in enumerate(chunk):
                occluded[i, :, y0:y1, x0:x1] = 0
            drops[start:start + len(chunk)] = intact - model(occluded)[:, target]
        total = torch.zeros(SIZE, SIZE, dtype=torch.float64)
        covered = torch.zeros(SIZE, SIZE, dtype=torch.float64)
        for ((y0, y1), (x0, x1)), drop in zip(windows, drops.double()):
            total[y0:y1, x0:x1] += drop
            covered[y0:y1, x0:x1] += 1
    attribution = (total / covered).float()  # every pixel is covered (stride ≤ window)
    return attribution[None, None].expand(1, x.shape[1], SIZE, SIZE).contiguous(), len(windows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--onnx-out", required=True, help="where to write the ResNet-18 as ONNX")
    parser.add_argument("--out-dir", help="where the .npy files go (default: the folder of --onnx-out)")
    parser.add_argument("--steps", type=int, default=32)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--window", type=int, default=32)
    parser.add_argument("--stride", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    out_dir, model, x = prepare(args)

    with torch.no_grad():
        logits = model(x)
    target = int(logits[0].argmax())
    # Warm-up outside the timings: a forward and backward pass at batch B, a forward pass at batch B.
    integrated_gradients(model, x, target, min(args.steps, args.batch), args.batch)
    with torch.no_grad():
        model(x.repeat(args.batch, 1, 1, 1))

    ig_s, ig_all, (ig, delta) = median_seconds(
        args.repeat, lambda: integrated_gradients(model, x, target, args.steps, args.batch))
    occ_s, occ_all, (occ, windows) = median_seconds(
        args.repeat, lambda: occlusion(model, x, target, args.window, args.stride, args.batch))

    np.save(os.path.join(out_dir, "logits.npy"), logits.numpy().astype(np.float32))
    np.save(os.path.join(out_dir, "integrated_gradients.npy"), ig.numpy().astype(np.float32))
    np.save(os.path.join(out_dir, "occlusion.npy"), occ.numpy().astype(np.float32))
    top2 = logits[0].topk(2).values
    print(json.dumps({
        "ig_s": ig_s,
        "occlusion_s": occ_s,
        "runs": {"ig": ig_all, "occlusion": occ_all},
        "steps": args.steps,
        "batch": args.batch,
        "window": args.window,
        "stride": args.stride,
        "windows": windows,
        "ig_convergence_delta": delta,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "target": target,
        "top_logit": float(top2[0]),
        "top_logit_margin": float(top2[0] - top2[1]),
        "onnx": os.path.abspath(args.onnx_out),
        "out_dir": out_dir,
    }))


if __name__ == "__main__":
    main()
