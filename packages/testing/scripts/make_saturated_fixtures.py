#!/usr/bin/python3
"""Makes the gradient fixtures with saturated and flat regions (issue 25): pictures whose flat
areas make max-pool windows tie, where a gradient must go to the *first* maximal element of the
window in row-major order (PyTorch's rule), padding never winning.

Each case is made the way tiny-chelsea was: a small ResNet with torchvision's module names
(conv1 3×3 stride 2, bn1, relu, maxpool 3×3 stride 2 pad 1, layer1…layer4 of two BasicBlocks,
avgpool, fc), 4 classes, seeded random weights (batch-norm statistics too), exported to ONNX
(opset 13, dynamic batch, input `input`, output `logits`). Batch norm is folded into the
convolutions first, as the exporter would, so that the references do the ONNX file's arithmetic. The picture is resized with PIL's
bilinear filter, scaled to [0, 1] and normalised with ImageNet's mean and std.

References are computed with plain torch autograd, which is what Captum computes (Captum is not
needed): for the top class c,
  gradient.npy              ∂y_c/∂x, signed                          (1×3×H×W, like every file below)
  saliency.npy              |∂y_c/∂x|                                  Captum's Saliency
  input_x_gradient.npy      x ⊙ ∂y_c/∂x                                Captum's InputXGradient
  integrated_gradients.npy  baseline 0, 32 Gauss–Legendre points       Captum's IntegratedGradients
  guided_backprop.npy       every ReLU's backward passes relu(g)·[x>0] Captum's GuidedBackprop
(a hook on each ReLU's output replaces the incoming gradient g by relu(g); the ReLU's own
backward then multiplies by [x > 0]). `case.json` records how many max-pool windows tie and how
far the input gradient moves when ties go to the last maximal element instead (what the wasm
backend's own MaxPoolGrad does), so a test that passes cannot be passing by luck.

Usage (Debian's python3-torch, python3-torchvision, python3-skimage; pyenv's python may shadow
/usr/bin/python3):
    /usr/bin/python3 packages/testing/scripts/make_saturated_fixtures.py           # writes the cases
    /usr/bin/python3 packages/testing/scripts/make_saturated_fixtures.py --check   # recipe vs tiny-chelsea
`--check` rebuilds tiny-chelsea's network from its state_dict.npz and compares this script's
references with the Captum outputs shipped in tiny-chelsea/baselines/ (nothing is written).
"""
import argparse
import copy
import json
import pathlib
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from skimage import data as skdata
from torch.nn.utils.fusion import fuse_conv_bn_eval
from torchvision.models.resnet import BasicBlock

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / 'fixtures'
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
NUM_CLASSES = 4
IG_STEPS = 32
MAX_CASE_BYTES = 1_100_000


class TinyResNet(nn.Module):
    """torchvision's ResNet layout (BasicBlocks, module names kept), narrow, with a 3×3 stem."""

    def __init__(self, widths=(8, 16, 32, 64), num_classes=NUM_CLASSES):
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        inplanes = widths[0]
        for i, planes in enumerate(widths):
            stride = 1 if i == 0 else 2
            downsample = None
            if stride != 1 or inplanes != planes:
                downsample = nn.Sequential(
                    nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes)
                )
            blocks = [BasicBlock(inplanes, planes, stride, downsample), BasicBlock(planes, planes)]
            setattr(self, f'layer{i + 1}', nn.Sequential(*blocks))
            inplanes = planes
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(widths[-1], num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def randomise(model, seed):
    """Seeded weights in the ranges tiny-chelsea's have (Kaiming-scaled convs, lively batch norms)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (2 / fan_in) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_(torch.rand(m.bias.shape, generator=g) * 0.1)
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) * 0.7 + 0.6)
                m.bias.copy_((torch.rand(m.bias.shape, generator=g) - 0.5) * 0.3)
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.06)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) * 0.7 + 0.55)
    return model.eval()


def folded(model):
    """The network with every batch norm folded into the convolution before it, as the ONNX
    exporter folds them: references and export then do the same arithmetic (folding changes
    rounding, enough to flip a max-pool window whose two largest values differ by 1e-6)."""
    model = copy.deepcopy(model)
    model.conv1 = fuse_conv_bn_eval(model.conv1, model.bn1)
    model.bn1 = nn.Identity()
    for stage in (model.layer1, model.layer2, model.layer3, model.layer4):
        for block in stage:
            block.conv1 = fuse_conv_bn_eval(block.conv1, block.bn1)
            block.bn1 = nn.Identity()
            block.conv2 = fuse_conv_bn_eval(block.conv2, block.bn2)
            block.bn2 = nn.Identity()
            if block.downsample is not None:
                block.downsample = nn.Sequential(fuse_conv_bn_eval(block.downsample[0], block.downsample[1]))
    return model.eval()


def preprocess(rgb, size):
    """uint8 H×W×3 → (resized uint8, normalised 1×3×h×w float32); `size` is (h, w)."""
    h, w = size
    resized = np.asarray(Image.fromarray(rgb).convert('RGB').resize((w, h), Image.BILINEAR))
    x = resized.astype(np.float32) / 255
    x = (x.transpose(2, 0, 1) - np.array(MEAN).reshape(3, 1, 1)) / np.array(STD).reshape(3, 1, 1)
    return resized, x[None].astype(np.float32)


def gradient(model, x, cls, guided=False):
    """∂y_cls/∂x for a batch; with `guided`, every ReLU passes relu(g)·[x > 0] back."""
    handles = []
    if guided:
        def on_relu(_module, _inputs, out):
            # The ReLU's own backward multiplies by [x > 0]; the hook cuts g's negative part first.
            out.register_hook(lambda g: g.clamp(min=0))
        handles = [m.register_forward_hook(on_relu) for m in model.modules() if isinstance(m, nn.ReLU)]
    try:
        x = x.clone().requires_grad_(True)
        model(x)[:, cls].sum().backward()
        return x.grad.detach()
    finally:
        for h in handles:
            h.remove()


def integrated_gradients(model, x, cls):
    """Baseline 0; Captum's Gauss–Legendre rule: α = (t + 1)/2, w = w_t/2 (NumPy's leggauss)."""
    t, w = np.polynomial.legendre.leggauss(IG_STEPS)
    alphas = torch.tensor((t + 1) / 2, dtype=torch.float32)
    weights = torch.tensor(w / 2, dtype=torch.float32)
    scaled = alphas.view(-1, 1, 1, 1) * x
    grads = gradient(model, scaled, cls)
    return x * (grads * weights.view(-1, 1, 1, 1)).sum(0, keepdim=True)


def references(model, x, cls):
    xt = torch.from_numpy(x)
    g = gradient(model, xt, cls)
    return {
        'gradient': g,
        'saliency': g.abs(),
        'input_x_gradient': xt * g,
        'integrated_gradients': integrated_gradients(model, xt, cls),
        'guided_backprop': gradient(model, xt, cls, guided=True),
    }


class _LastMaxPool(torch.autograd.Function):
    """Max pooling whose backward sends each window's gradient to its *last* maximal element."""

    @staticmethod
    def forward(ctx, x, k, s, p):
        ctx.save_for_backward(x)
        ctx.geometry = (k, s, p)
        return F.max_pool2d(x, k, s, p)

    @staticmethod
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        k, s, p = ctx.geometry
        n, c, h, w = x.shape
        padded = F.pad(x, (p, p, p, p), value=float('-inf'))
        cols = F.unfold(padded.reshape(n * c, 1, h + 2 * p, w + 2 * p), k, stride=s)  # (nc, k², L)
        # The last maximal tap: the first one of the reversed window.
        last = k * k - 1 - cols.flip(1).argmax(1)
        onehot = F.one_hot(last, k * k).transpose(1, 2).to(dy.dtype) * dy.reshape(n * c, 1, -1)
        dx = F.fold(onehot, (h + 2 * p, w + 2 * p), k, stride=s)
        return dx[:, :, p:p + h, p:p + w].reshape(n, c, h, w), None, None, None


class LastMaxPool(nn.Module):
    def forward(self, x):
        return _LastMaxPool.apply(x, 3, 2, 1)


def maxpool_ties(model, x):
    """(windows whose positive maximum occurs more than once, windows whose first and last maximal
    elements differ) at the stem's max pool, over all channels."""
    with torch.no_grad():
        a = model.relu(model.bn1(model.conv1(torch.from_numpy(x))))
    k, s, p = 3, 2, 1
    n, c, h, w = a.shape
    padded = F.pad(a, (p, p, p, p), value=float('-inf')).reshape(n * c, 1, h + 2 * p, w + 2 * p)
    cols = F.unfold(padded, k, stride=s)
    top = cols.max(1, keepdim=True).values
    count = (cols == top).sum(1)
    positive = top.squeeze(1) > 0
    return int(((count > 1) & positive).sum()), int((count > 1).sum())


def tie_sensitivity(model, x, cls, reference):
    """max|g_last − g_first| / max|g_first|: how much sending ties to the last maximum moves ∂y_c/∂x."""
    original = model.maxpool
    model.maxpool = LastMaxPool()
    try:
        g_last = gradient(model, torch.from_numpy(x), cls)
    finally:
        model.maxpool = original
    diff = (g_last - reference).abs()
    return float(diff.max() / reference.abs().max()), int((diff.sum(1) > 1e-4 * reference.abs().max()).sum())


def export(model, path, size):
    x = torch.zeros(1, 3, *size)
    torch.onnx.export(
        model, x, str(path), opset_version=13, input_names=['input'], output_names=['logits'],
        dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}},
    )


def flat_card(size):
    """A picture with large constant areas: saturated white above, black on the left, coffee inset."""
    h, w = size
    canvas = np.full((h * 4, w * 4, 3), 255, dtype=np.uint8)
    canvas[h * 2:, : w * 2] = 0
    coffee = np.asarray(Image.fromarray(skdata.coffee()).resize((w * 2, h * 2), Image.BILINEAR))
    canvas[h * 2:, w * 2:] = coffee
    canvas[h // 2: h, w: w * 3] = (200, 30, 30)
    return canvas


# name, picture, source description, input size (h, w), widths, seed
CASES = [
    ('astronaut', skdata.astronaut, 'skimage.data.astronaut()', (64, 64), (8, 16, 32, 64), 25),
    # The top of the rocket and its sky at a third of the scale: the whole picture at 64×64 loses
    # the flat sky in the resize (no window ties with a positive maximum).
    ('rocket', lambda: np.ascontiguousarray(skdata.rocket()[:192, 192:384]), 'skimage.data.rocket()[:192, 192:384]',
     (64, 64), (8, 16, 32, 64), 26),
    ('flat-card', lambda: flat_card((72, 56)), 'make_saturated_fixtures.flat_card((72, 56))', (72, 56), (8, 16, 24, 32), 27),
]


def save(path, array):
    np.save(path, np.ascontiguousarray(np.asarray(array, dtype=np.float32)))


def make_case(name, picture, source, size, widths, seed):
    out = FIXTURES / name
    (out / 'baselines').mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    model = folded(randomise(TinyResNet(widths), seed))
    resized, x = preprocess(picture(), size)
    with torch.no_grad():
        logits = model(torch.from_numpy(x))
    cls = int(logits.argmax(1))
    refs = references(model, x, cls)
    positive_ties, ties = maxpool_ties(model, x)
    sensitivity, moved = tie_sensitivity(model, x, cls, refs['gradient'])
    export(model, out / 'model.onnx', size)
    Image.fromarray(resized).save(out / 'resized.png')
    save(out / 'input.npy', x)
    save(out / 'logits.npy', logits)
    for key, value in refs.items():
        save(out / 'baselines' / f'{key}.npy', value)
    case = {
        'case': name,
        'model': 'tiny',
        'source': source,
        'input_size': list(size),
        'layout': 'NCHW',
        'mean': MEAN,
        'std': STD,
        'n_classes': NUM_CLASSES,
        'widths': list(widths),
        'batch_norm': 'folded into the convolutions, before the references and the export',
        'seed': seed,
        'top_class': cls,
        'files': {
            'resized.png': 'the picture after the PIL bilinear resize (before scaling and normalising)',
            'input.npy': 'the normalised input, 1×3×H×W',
            'baselines/gradient.npy': '∂y_c/∂x, signed, for c = top_class',
            'baselines/saliency.npy': "|∂y_c/∂x| (Captum's Saliency)",
            'baselines/input_x_gradient.npy': "x ⊙ ∂y_c/∂x (Captum's InputXGradient)",
            'baselines/integrated_gradients.npy': f"baseline 0, {IG_STEPS} Gauss–Legendre points (Captum's IntegratedGradients)",
            'baselines/guided_backprop.npy': "ReLU backward relu(g)·[x > 0] (Captum's GuidedBackprop)",
        },
        'maxpool': {
            'windows': int(np.prod(F.max_pool2d(torch.zeros(1, widths[0], size[0] // 2, size[1] // 2), 3, 2, 1).shape)),
            'tied_windows': ties,
            'tied_windows_positive_max': positive_ties,
            'ties_to_last_max_gradient_error': sensitivity,
            'ties_to_last_max_pixels_moved': moved,
        },
        'torch': torch.__version__,
    }
    (out / 'case.json').write_text(json.dumps(case, indent=2, ensure_ascii=False) + '\n')
    total = sum(f.stat().st_size for f in out.rglob('*') if f.is_file())
    print(f'{name}: {size[0]}×{size[1]}, class {cls}, {positive_ties} tied windows with a positive max '
          f'({ties} in all); ties to the last max would move the gradient by {sensitivity:.3f} of its max '
          f'({moved} pixels); {total} bytes')
    if total > MAX_CASE_BYTES:
        sys.exit(f'{name}: {total} bytes is over the limit of {MAX_CASE_BYTES}')


def check_recipe():
    """This script's references against the Captum outputs shipped with tiny-chelsea."""
    case = FIXTURES / 'tiny-chelsea'
    state = np.load(case / 'state_dict.npz')
    model = TinyResNet()
    model.load_state_dict({k: torch.from_numpy(state[k]) for k in state.files}, strict=False)
    model.eval()
    x = np.load(case / 'input.npy')
    _, again = preprocess(np.asarray(Image.open(case / 'image.png').convert('RGB')), (64, 64))
    print(f'input.npy from image.png: max error {np.abs(again - x).max():.2e}')
    with torch.no_grad():
        logits = model(torch.from_numpy(x)).numpy()
    print(f'logits: max error {np.abs(logits - np.load(case / "logits.npy")).max():.2e}')
    cls = json.loads((case / 'baselines' / 'baselines.json').read_text())['class_index']
    refs = references(model, x, cls)
    worst = 0.0
    for key in ['saliency', 'input_x_gradient', 'integrated_gradients', 'guided_backprop']:
        captum = np.load(case / 'baselines' / f'{key}.npy')
        error = float(np.abs(refs[key].numpy() - captum).max() / np.abs(captum).max())
        worst = max(worst, error)
        print(f'{key}: max error {error:.2e} × max|Captum|')
    if worst > 1e-5:
        sys.exit('the recipe does not reproduce Captum on tiny-chelsea')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--check', action='store_true', help="compare the recipe with tiny-chelsea's Captum outputs and exit")
    parser.add_argument('--only', help='comma-separated case names')
    args = parser.parse_args()
    torch.set_num_threads(2)
    if args.check:
        check_recipe()
        return
    wanted = set(args.only.split(',')) if args.only else None
    for case in CASES:
        if not wanted or case[0] in wanted:
            make_case(*case)


if __name__ == '__main__':
    main()
