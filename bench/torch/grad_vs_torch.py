"""Gradient methods with pytorch-grad-cam and Captum: the PyTorch half of bench/grad-vs-torch.mjs.

Grad-CAM, Grad-CAM++ and Layer-CAM (pytorch-grad-cam), Saliency, Input × Gradient, Guided
Backprop, Integrated Gradients and SmoothGrad (Captum) on a seeded ResNet-18 or ViT-Ti/16 at
224×224, target class 0. The network is exported to ONNX so the Node side runs the very same
weights; the input and every map are written as .npy.

The libraries are not installed here (no PyPI): their source trees are put on the path from
XAI_TORCH_LIBS (folders separated by ':', each holding `pytorch_grad_cam/` or `captum/`), e.g.

    mkdir -p /tmp/pylibs/pytorch-grad-cam /tmp/pylibs/captum
    git clone --depth 1 https://github.com/jacobgil/pytorch-grad-cam /tmp/src/pytorch-grad-cam
    git clone --depth 1 https://github.com/pytorch/captum /tmp/src/captum
    export XAI_TORCH_LIBS=/tmp/src/pytorch-grad-cam:/tmp/src/captum:/tmp/pylibs/stubs

(or `pip install grad-cam captum` where PyPI is reachable, and leave XAI_TORCH_LIBS unset).
pytorch-grad-cam imports cv2 (Debian: python3-opencv), scipy and ttach; where ttach is missing,
a stub package that only lets the import succeed will do (bench/README.md shows one).

    XAI_TORCH_LIBS=… /usr/bin/python3 bench/torch/grad_vs_torch.py --model resnet18 \
        --onnx-out /tmp/xai-bench/resnet18.onnx --threads 0           # a server (see below)
    … --check                                                         # versions as JSON, or exit 4
    … --ig-rss --steps 32 --batch 32                                  # Integrated Gradients once, peak RSS as JSON

As a server: one JSON line on stdout when ready, then one JSON command a line on stdin
({"cmd": "run", "method": "grad-cam", "out": "…npy"}, {"cmd": "smoothgrad-check", "copies": "…npy", …},
{"cmd": "quit"}), one JSON answer a line on stdout. Exit 3: no torch; exit 4: no pytorch-grad-cam
or Captum (with what to do on stderr).

Methods (target class 0, its raw logit the score; the PyTorch side as each library's README does it):
  grad-cam, grad-cam-pp, layer-cam   `with GradCAM(model, target_layers=[layer], reshape_transform)
                                     as cam: cam(x, [ClassifierOutputTarget(0)])`; ResNet-18 at
                                     layer4, ViT at encoder.layers.encoder_layer_11.ln_1 with
                                     pytorch_grad_cam's vit_reshape_transform (class token dropped,
                                     14×14 grid).
  saliency                           Captum Saliency(model).attribute(x, target=0) (abs=True).
  input-x-gradient                   Captum InputXGradient.
  guided-backprop                    Captum GuidedBackprop (backward hooks on the nn.ReLU modules;
                                     the ViT has none, so there it is the plain gradient).
  integrated-gradients               Captum IntegratedGradients, baseline zeros, n_steps=STEPS,
                                     method='gausslegendre', internal_batch_size=BATCH,
                                     return_convergence_delta=True (ours computes the delta too).
  smoothgrad                         Captum NoiseTunnel(Saliency(model)).attribute(x,
                                     nt_type='smoothgrad', nt_samples=SAMPLES,
                                     nt_samples_batch_size=SAMPLES, stdevs=NOISE·(max(x) − min(x)),
                                     target=0): σ as an absolute value, our `noise` parameter
                                     times the input's range. Timed with Captum's own noise
                                     (torch.normal); `smoothgrad-check` reruns it on the noisy
                                     copies our side made (written as .npy), so the maps can be
                                     compared.
"""

import argparse
import json
import os
import resource
import sys
import time
import warnings

try:
    import numpy as np
    import torch
    import torchvision
    from torchvision.models import vision_transformer
except ImportError as error:  # the Node side turns this exit code into its own message
    print(f"grad_vs_torch.py: {error}; install Debian's python3-torch python3-torchvision python3-onnx "
          "and run with /usr/bin/python3", file=sys.stderr)
    sys.exit(3)

sys.dont_write_bytecode = True  # no bench/torch/__pycache__ from the import below
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cam_speed import SIZE, build_model, make_input  # noqa: E402

LIBS_ENV = "XAI_TORCH_LIBS"
TARGET = 0
VIT_LAYER = "encoder.layers.encoder_layer_11.ln_1"
CAMS = {"grad-cam": "GradCAM", "grad-cam-pp": "GradCAMPlusPlus", "layer-cam": "LayerCAM"}
ATTRIBUTIONS = ["saliency", "input-x-gradient", "guided-backprop", "integrated-gradients", "smoothgrad"]
HOW_TO_GET = f"""pytorch-grad-cam and Captum are needed (this benchmark calls them, it does not re-implement them).
  Where PyPI is reachable: /usr/bin/python3 -m pip install grad-cam captum
  Otherwise put their source trees on {LIBS_ENV} (folders separated by ':'):
    git clone --depth 1 https://github.com/jacobgil/pytorch-grad-cam /tmp/pylibs/pytorch-grad-cam
    git clone --depth 1 https://github.com/pytorch/captum /tmp/pylibs/captum
    export {LIBS_ENV}=/tmp/pylibs/pytorch-grad-cam:/tmp/pylibs/captum:/tmp/pylibs/stubs
  pytorch-grad-cam also imports cv2 (apt-get install -y python3-opencv) and ttach (a stub will do:
  see bench/README.md, "Gradient methods against pytorch-grad-cam and Captum")."""


def add_libraries():
    for folder in reversed([p for p in os.environ.get(LIBS_ENV, "").split(":") if p]):
        sys.path.insert(0, folder)


def import_libraries():
    """(pytorch_grad_cam, captum.attr, versions), or exit 4 saying what is missing and how to get it."""
    add_libraries()
    try:
        import pytorch_grad_cam
        from pytorch_grad_cam.utils import model_targets, reshape_transforms  # noqa: F401
        import captum
        import captum.attr
    except ImportError as error:
        print(f"grad_vs_torch.py: {type(error).__name__}: {error}\n{HOW_TO_GET}", file=sys.stderr)
        sys.exit(4)
    versions = {
        "grad_cam": library_version(pytorch_grad_cam),
        "grad_cam_path": os.path.dirname(os.path.dirname(os.path.abspath(pytorch_grad_cam.__file__))),
        "captum": getattr(captum, "__version__", "?"),
        "captum_path": os.path.dirname(os.path.dirname(os.path.abspath(captum.__file__))),
    }
    return pytorch_grad_cam, captum.attr, versions


def library_version(module):
    """pytorch-grad-cam has no __version__: the installed distribution's, or its setup.py's."""
    try:
        from importlib.metadata import version
        return version("grad-cam")
    except Exception:  # not installed as a distribution: a source tree on XAI_TORCH_LIBS
        setup = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(module.__file__))), "setup.py")
        try:
            for line in open(setup, encoding="utf-8"):
                if "version=" in line:
                    return line.split("=", 1)[1].strip().strip(",'\"") + " (source tree)"
        except OSError:
            pass
        return "? (source tree)"


def build_vit():
    """A ViT-Ti/16 (torchvision's VisionTransformer, 224×224, 12 blocks of width 192, 3 heads)
    after torch.manual_seed(0), with torchvision's own initialisation except the head, which
    torchvision zeroes (every logit and gradient would be 0): N(0, 1/192) from a generator seeded 0."""
    torch.manual_seed(0)
    model = vision_transformer.VisionTransformer(
        image_size=SIZE, patch_size=16, num_layers=12, num_heads=3, hidden_dim=192, mlp_dim=768, num_classes=1000)
    head = model.heads.head
    with torch.no_grad():
        head.weight.copy_(torch.randn(head.weight.shape, generator=torch.Generator().manual_seed(0)) / head.in_features ** 0.5)
    return model.eval()


def build(name):
    """(model, CAM layer module path, opset)."""
    if name == "resnet18":
        return build_model(), "layer4", 13
    if name == "vit-ti":
        return build_vit(), VIT_LAYER, 13
    raise ValueError(f"unknown model {name!r}; accepted: resnet18, vit-ti")


def export_onnx(model, path, opset):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the ViT's tracer warnings (shape checks traced as constants)
        torch.onnx.export(
            model, make_input(), path, opset_version=opset, input_names=["input"], output_names=["logits"],
            dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, do_constant_folding=True,
        )
    try:
        import onnx
        onnx.checker.check_model(onnx.load(path))
    except ImportError:
        print("grad_vs_torch.py: python3-onnx is not installed; the export is not checked", file=sys.stderr)


class Methods:
    """Each method as a user of the library calls it, returning the map as a tensor or array."""

    def __init__(self, model, layer, model_name, gradcam, attr, x):
        self.model, self.x, self.attr, self.gradcam = model, x, attr, gradcam
        self.layer_module = model.get_submodule(layer)
        self.reshape = gradcam.utils.reshape_transforms.vit_reshape_transform if model_name == "vit-ti" else None
        self.cam_target = gradcam.utils.model_targets.ClassifierOutputTarget(TARGET)
        self.sigma = None

    def cam(self, name):
        cls = getattr(self.gradcam, CAMS[name])
        with cls(model=self.model, target_layers=[self.layer_module], reshape_transform=self.reshape) as cam:
            return cam(input_tensor=self.x, targets=[self.cam_target])[0]  # [H, W], float32

    def attribution(self, name, params, noise=None):
        a, model, x = self.attr, self.model, self.x
        if name == "saliency":
            return a.Saliency(model).attribute(x, target=TARGET)
        if name == "input-x-gradient":
            return a.InputXGradient(model).attribute(x, target=TARGET)
        if name == "guided-backprop":
            return a.GuidedBackprop(model).attribute(x, target=TARGET)
        if name == "integrated-gradients":
            attribution, delta = a.IntegratedGradients(model).attribute(
                x, baselines=0.0, target=TARGET, n_steps=params["steps"], method="gausslegendre",
                internal_batch_size=params["batch"], return_convergence_delta=True)
            return attribution, float(delta[0])
        if name == "smoothgrad":
            samples = params["samples"]
            sigma = float(params["noise"] * (x.max() - x.min()))
            self.sigma = sigma
            tunnel = a.NoiseTunnel(a.Saliency(model))
            run = lambda: tunnel.attribute(  # noqa: E731
                x, nt_type="smoothgrad", nt_samples=samples, nt_samples_batch_size=samples, stdevs=sigma, target=TARGET)
            if noise is None:
                return run()
            # The check: Captum's NoiseTunnel given our noisy copies instead of drawing its own.
            tunnel_class = type(tunnel)
            own = tunnel_class.__dict__["_add_noise_to_input"]
            tunnel_class._add_noise_to_input = staticmethod(lambda input, stdev, n: noise[:input.shape[0] * n].clone())
            try:
                return run()
            finally:
                tunnel_class._add_noise_to_input = own
        raise ValueError(f"unknown method {name!r}")

    def run(self, name, params, noise=None):
        extra = {}
        if name in CAMS:
            result = self.cam(name)
        else:
            result = self.attribution(name, params, noise)
            if isinstance(result, tuple):
                result, extra["convergence_delta"] = result
            result = result.detach()
        if name == "smoothgrad":
            extra["sigma"] = self.sigma
        return result, extra


def save(path, result):
    array = result.numpy() if isinstance(result, torch.Tensor) else np.asarray(result)
    np.save(path, array.astype(np.float32))


def peak_rss_mb():
    """This process's peak RSS (VmHWM) in MB. Not ru_maxrss: Linux carries that over an exec from
    the process that forked this one (here the Node benchmark, itself over a gigabyte)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ig_rss(args, model, x):
    """Integrated Gradients once in this fresh process: the peak RSS before and after."""
    _, attr, _ = import_libraries()
    before = peak_rss_mb()
    start = time.perf_counter()
    attr.IntegratedGradients(model).attribute(
        x, baselines=0.0, target=TARGET, n_steps=args.steps, method="gausslegendre",
        internal_batch_size=args.batch, return_convergence_delta=True)
    seconds = time.perf_counter() - start
    print(json.dumps({"peak_mb": peak_rss_mb(), "before_mb": before, "seconds": seconds, "threads": torch.get_num_threads()}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="resnet18", choices=["resnet18", "vit-ti"])
    parser.add_argument("--onnx-out", help="where to write the network as ONNX (not with --check)")
    parser.add_argument("--out-dir", help="where input.npy and logits.npy go (default: the folder of --onnx-out)")
    parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads; 0 leaves PyTorch's own default")
    parser.add_argument("--check", action="store_true", help="print the libraries' versions as JSON and exit")
    parser.add_argument("--ig-rss", action="store_true", help="run Integrated Gradients once and print its peak RSS")
    parser.add_argument("--steps", type=int, default=32)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    if args.check:
        _, _, versions = import_libraries()
        print(json.dumps({**versions, "torch": torch.__version__, "torchvision": torchvision.__version__}))
        return
    if args.threads > 0:  # 0: PyTorch's own choice, as a script that never sets it gets
        torch.set_num_threads(args.threads)
    model, layer, opset = build(args.model)
    x = make_input()
    if args.ig_rss:
        ig_rss(args, model, x)
        return
    gradcam, attr, versions = import_libraries()
    # Captum's notices on every call (inputs made to require gradients, hooks set on the ReLUs).
    warnings.filterwarnings("ignore", message="Input Tensor .* did not already require gradients")
    warnings.filterwarnings("ignore", message="Setting backward hooks on ReLU")
    answers, sys.stdout = sys.stdout, sys.stderr  # stray prints must not break the protocol
    out_dir = args.out_dir or os.path.dirname(os.path.abspath(args.onnx_out))
    os.makedirs(out_dir, exist_ok=True)
    export_onnx(model, args.onnx_out, opset)
    np.save(os.path.join(out_dir, "input.npy"), x.numpy().astype(np.float32))
    with torch.no_grad():
        logits = model(x)
    np.save(os.path.join(out_dir, "logits.npy"), logits.numpy().astype(np.float32))
    methods = Methods(model, layer, args.model, gradcam, attr, x)

    def answer(obj):
        answers.write(json.dumps(obj) + "\n")
        answers.flush()

    answer({
        "ready": True, **versions,
        "torch": torch.__version__, "torchvision": torchvision.__version__,
        "threads": torch.get_num_threads(), "omp_num_threads_env": os.environ.get("OMP_NUM_THREADS"),
        "mkldnn": torch.backends.mkldnn.is_available(), "mkl": torch.backends.mkl.is_available(),
        "layer": layer, "opset": opset, "top": int(logits[0].argmax()), "out_dir": out_dir,
    })
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["cmd"] == "quit":
            break
        try:
            noise = None
            if cmd["cmd"] == "smoothgrad-check":
                noise = torch.from_numpy(np.load(cmd["copies"]).astype(np.float32, copy=False))
            elif cmd["cmd"] != "run":
                raise ValueError(f"unknown command {cmd['cmd']!r}; accepted: run, smoothgrad-check, quit")
            name = "smoothgrad" if noise is not None else cmd["method"]
            start = time.perf_counter()
            result, extra = methods.run(name, cmd.get("params", {}), noise)
            seconds = time.perf_counter() - start
            if cmd.get("out"):
                save(cmd["out"], result)
            answer({"seconds": seconds, **extra})
        except Exception as error:  # reported to the Node side, which stops the run
            answer({"error": f"{cmd.get('method', cmd['cmd'])}: {type(error).__name__}: {error}"})


if __name__ == "__main__":
    main()
