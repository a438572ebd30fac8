"""RISE, Insertion/Deletion, Abs-CAM Final, Score-CAM and Ablation-CAM in plain PyTorch, served.

The reference half of bench/vs-torch.mjs. The Node side alternates with this one, so this script
stays up between runs: it reads one JSON command a line on stdin, does the work, and answers one
JSON line on stdout (anything else it prints goes to stderr). The network, its input and the
ONNX export are bench/torch/cam_speed.py's (imported from it); so are Score-CAM and Ablation-CAM.

    /usr/bin/python3 bench/torch/vs_torch.py --onnx-out /tmp/xai-bench/resnet18.onnx --threads 2 \
        [--out-dir DIR]

At start it exports the network, writes input.npy and logits.npy in --out-dir (default: the
folder of --onnx-out), warms up at batch 1 and answers {"ready": true, ...} with its versions,
thread count and the top class. Commands ({"cmd": name, ...}; every timed one answers
{"seconds": s, ...} and writes its result as float32 .npy to "out"):

  masks       {"path"}                       loads RISE's masks (N×1×H×W; not timed)
  raw         {"batch", "passes"}            `passes` forward passes of `batch` copies of the input
  rise        {"batch", "p1", "out"}         S_c = Σ_i softmax(f(x ⊙ M_i))_c · M_i / (N · p1), for the top
                                             class c only (the reference computes all K classes
                                             with a K×N by N×HW product; the other 999 are not asked for)
  insdel      {"map", "step", "batch", "out"} Insertion (from the blurred image) and Deletion (to zeros)
                                             of the map in "map" (H×W .npy), n + 1 softmax scores
                                             each; writes out + "_insertion.npy", "_deletion.npy"
  abscam      {"batch", "out"}               Abs-CAM Final at layer4 (SPEC.md): one forward and
                                             backward pass, then K' = 512 masked passes
  scorecam    {"batch", "out"}               cam_speed.py's Score-CAM at layer4
  ablationcam {"batch", "out"}               cam_speed.py's Ablation-CAM at layer4, suffix only
                                             (avgpool + fc on the ablated activations)
  quit

Masked and black-box passes run under torch.inference_mode(); Abs-CAM's one gradient pass
under autograd.
"""

import argparse
import json
import math
import os
import sys
import time

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
    import torchvision
except ImportError as error:  # the Node side turns this exit code into its own message
    print(f"vs_torch.py: {error}; install Debian's python3-torch python3-torchvision python3-onnx "
          "and run with /usr/bin/python3", file=sys.stderr)
    sys.exit(3)

sys.dont_write_bytecode = True  # no bench/torch/__pycache__ from the import below
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cam_speed import SIZE, ablation_cam_suffix, forward_with_layer4, prepare, score_cam  # noqa: E402

ABS_CAM_EPS = 1e-8
BLUR_SIZE, BLUR_SIGMA = 11, 5.0


def rise(model, x, masks, p1, target, batch):
    n = masks.shape[0]
    total = torch.zeros(SIZE * SIZE)
    with torch.inference_mode():
        for start in range(0, n, batch):
            m = masks[start:start + batch]  # [b, 1, H, W]
            probabilities = torch.softmax(model(x * m), dim=1)[:, target]
            total += probabilities @ m.reshape(m.shape[0], -1)
    return (total / (n * p1)).reshape(SIZE, SIZE)


def blur_kernel():
    """SPEC.md's insertion blur: an 11×11 unit impulse smoothed by SciPy's gaussian_filter
    defaults (σ = 5, radius round(4σ), half-sample symmetric boundaries), written out: the
    impulse is separable, so the 2-D result is the outer product of the 1-D one."""
    radius = int(4 * BLUR_SIGMA + 0.5)
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / BLUR_SIGMA) ** 2)
    taps /= taps.sum()
    impulse = np.zeros(BLUR_SIZE)
    impulse[BLUR_SIZE // 2] = 1

    def reflect(i):
        m = i % (2 * BLUR_SIZE)
        return m if m < BLUR_SIZE else 2 * BLUR_SIZE - 1 - m

    line = np.array([sum(taps[j + radius] * impulse[reflect(i + j)] for j in range(-radius, radius + 1))
                     for i in range(BLUR_SIZE)])
    return torch.tensor(np.outer(line, line), dtype=torch.float32)


def blur(x, kernel):
    channels = x.shape[1]
    weight = kernel[None, None].repeat(channels, 1, 1, 1)
    return F.conv2d(x, weight, padding=BLUR_SIZE // 2, groups=channels)


def reveal_probabilities(model, start, end, rank, step, batch):
    """softmax(f(image_i)) for i = 0 … n: `start` with the pixels of rank < i·step taken from `end`."""
    points = math.ceil(rank.numel() / step) + 1
    rows = []
    for first in range(0, points, batch):
        index = torch.arange(first, min(first + batch, points))
        revealed = (rank[None, :] < index[:, None] * step).reshape(-1, 1, SIZE, SIZE)
        rows.append(torch.softmax(model(torch.where(revealed, end, start)), dim=1))
    return torch.cat(rows)


def insertion_deletion(model, x, saliency, kernel, step, batch):
    """Both curves of one map, for the top class of the intact image (the last insertion point,
    the first deletion point). Order: decreasing saliency, ties to the lower pixel index."""
    with torch.inference_mode():
        order = torch.sort(saliency.reshape(-1), descending=True, stable=True).indices
        rank = torch.empty_like(order)
        rank[order] = torch.arange(order.numel())
        inserted = reveal_probabilities(model, blur(x, kernel), x, rank, step, batch)
        deleted = reveal_probabilities(model, x, torch.zeros_like(x), rank, step, batch)
    target = int(deleted[0].argmax())
    return inserted[:, target], deleted[:, target], target


def abs_cam_final(model, x, target, batch):
    logits, layer4 = forward_with_layer4(model, x)
    (gradient,) = torch.autograd.grad(logits[0, target], layer4)
    with torch.inference_mode():
        activations = layer4.detach()[0]  # [K', h, w]
        weights = gradient[0].abs().mean(dim=(1, 2))
        total = torch.zeros(SIZE * SIZE)
        for start in range(0, activations.shape[0], batch):
            weighted = weights[start:start + batch, None, None] * activations[start:start + batch]
            masks = F.interpolate(weighted[:, None], size=(SIZE, SIZE), mode="bilinear", align_corners=False)
            masks = masks.reshape(masks.shape[0], -1)
            masks = masks - masks.min(dim=1, keepdim=True).values
            masks = masks / (masks.max(dim=1, keepdim=True).values + ABS_CAM_EPS)
            scores = model(x * masks.reshape(-1, 1, SIZE, SIZE))[:, target].abs()
            total += scores @ masks
    return torch.relu(total).reshape(SIZE, SIZE)


def timed(work):
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def save(path, tensor):
    np.save(path, tensor.numpy().astype(np.float32))


class Server:
    def __init__(self, model, x, target):
        self.model, self.x, self.target = model, x, target
        self.masks = None
        self.kernel = blur_kernel()

    def masks_(self, cmd):
        self.masks = torch.from_numpy(np.load(cmd["path"]).astype(np.float32, copy=False))
        return {"count": self.masks.shape[0]}

    def raw(self, cmd):
        images = self.x.repeat(cmd["batch"], 1, 1, 1)

        def passes():
            with torch.inference_mode():
                for _ in range(cmd["passes"]):
                    self.model(images)

        seconds, _ = timed(passes)
        return {"seconds": seconds, "images": cmd["batch"] * cmd["passes"]}

    def rise(self, cmd):
        if self.masks is None:
            raise ValueError("rise: no masks loaded (send the masks command first)")
        seconds, saliency = timed(lambda: rise(self.model, self.x, self.masks, cmd["p1"], self.target, cmd["batch"]))
        save(cmd["out"], saliency)
        return {"seconds": seconds}

    def insdel(self, cmd):
        saliency = torch.from_numpy(np.load(cmd["map"]).astype(np.float32))
        seconds, (inserted, deleted, target) = timed(
            lambda: insertion_deletion(self.model, self.x, saliency, self.kernel, cmd["step"], cmd["batch"]))
        save(cmd["out"] + "_insertion.npy", inserted)
        save(cmd["out"] + "_deletion.npy", deleted)
        return {"seconds": seconds, "target": target}

    def abscam(self, cmd):
        seconds, saliency = timed(lambda: abs_cam_final(self.model, self.x, self.target, cmd["batch"]))
        save(cmd["out"], saliency)
        return {"seconds": seconds}

    def scorecam(self, cmd):
        return self._cam(score_cam, cmd)

    def ablationcam(self, cmd):
        return self._cam(ablation_cam_suffix, cmd)

    def _cam(self, method, cmd):
        def work():
            with torch.inference_mode():
                return method(self.model, self.x, cmd["batch"])

        seconds, (target, saliency) = timed(work)
        save(cmd["out"], saliency)
        return {"seconds": seconds, "target": target}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--onnx-out", required=True, help="where to write the ResNet-18 as ONNX")
    parser.add_argument("--out-dir", help="where input.npy and logits.npy go (default: the folder of --onnx-out)")
    parser.add_argument("--threads", type=int, required=True, help="torch.set_num_threads; 0 leaves PyTorch's own default")
    args = parser.parse_args()
    answers, sys.stdout = sys.stdout, sys.stderr  # stray prints must not break the protocol
    out_dir, model, x = prepare(args)
    with torch.inference_mode():
        logits = model(x)
        model(x)  # warm-up at batch 1; each command's first run warms its own batch size
    target = int(logits[0].argmax())
    np.save(os.path.join(out_dir, "logits.npy"), logits.numpy().astype(np.float32))

    def answer(obj):
        answers.write(json.dumps(obj) + "\n")
        answers.flush()

    answer({
        "ready": True,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "threads": torch.get_num_threads(),
        "omp_num_threads_env": os.environ.get("OMP_NUM_THREADS"),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "mkl": torch.backends.mkl.is_available(),
        "target": target,
        "out_dir": out_dir,
    })
    server = Server(model, x, target)
    handlers = {"masks": server.masks_, "raw": server.raw, "rise": server.rise, "insdel": server.insdel,
                "abscam": server.abscam, "scorecam": server.scorecam, "ablationcam": server.ablationcam}
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["cmd"] == "quit":
            break
        try:
            answer(handlers[cmd["cmd"]](cmd))
        except Exception as error:  # reported to the Node side, which stops the run
            answer({"error": f"{cmd['cmd']}: {type(error).__name__}: {error}"})


if __name__ == "__main__":
    main()
