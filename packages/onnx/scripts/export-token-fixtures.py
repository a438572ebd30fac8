#!/usr/bin/python3
"""Exports small torchvision transformers and modern CNNs to ONNX as test fixtures for @xai/onnx.

ViT (opsets 14 and 17: LayerNorm decomposed and as LayerNormalization), Swin and ConvNeXt, with
torchvision's module names and seeded random weights (heads included: torchvision zeroes the ViT
head, which would make every logit and gradient 0), eval mode, a dynamic batch axis. Beside each
model: `<name>.input.npy` (a seeded 2×3×H×W input) and `<name>.logits.npy` (PyTorch's logits for it),
the reference the tests compare the tfjs graph and onnxruntime with. For the ViT, also
`vit-opset17.gradcam_<layer>.npy`: Grad-CAM at a token layer by SPEC.md (pytorch-grad-cam's
recipe with its ViT reshape_transform), for the top class of image 0.

`celu-cnn.onnx` is a tiny CNN with a CELU activation (ONNX `Celu`): onnxruntime runs it, the tfjs
graph does not implement Celu; the black-box fallback is tested on it.

Usage (Debian's python3-torch and python3-torchvision; pyenv's python may shadow /usr/bin/python3):
    /usr/bin/python3 packages/onnx/scripts/export-token-fixtures.py   # → packages/onnx/fixtures/tokens/
    /usr/bin/python3 packages/onnx/scripts/export-token-fixtures.py --vit-tiny-full /tmp/vit-tiny.onnx
        # a ViT-Ti/16 at 224×224 (torchvision's VisionTransformer, random weights) for bench/onnx-throughput.mjs
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.models import convnext, swin_transformer, vision_transformer

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'fixtures', 'tokens')
NUM_CLASSES = 10
MAX_BYTES = 2 * 1024 * 1024


def small_vit():
    return vision_transformer.VisionTransformer(
        image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32, mlp_dim=64, num_classes=NUM_CLASSES
    )


def small_swin():
    return swin_transformer.SwinTransformer(
        patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 2], window_size=[4, 4],
        stochastic_depth_prob=0.0, num_classes=NUM_CLASSES,
    )


def small_convnext():
    setting = [convnext.CNBlockConfig(16, 32, 2), convnext.CNBlockConfig(32, None, 2)]
    return convnext.ConvNeXt(setting, stochastic_depth_prob=0.0, num_classes=NUM_CLASSES)


class CeluCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.relu = nn.ReLU()
        self.act = nn.CELU(0.5)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.act(self.relu(self.conv(x)))), 1))


# name, constructor, opset, input size (H = W)
FAMILIES = [
    ('vit-opset14', small_vit, 14, 32),
    ('vit-opset17', small_vit, 17, 32),
    ('swin', small_swin, 17, 32),
    ('convnext', small_convnext, 14, 32),
    ('celu-cnn', CeluCnn, 13, 16),
]


def randomise(model, seed):
    """Random but fixed weights for every parameter (norm scales near 1)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith('weight') and p.dim() == 1:
                p.copy_(torch.rand(p.shape, generator=g) + 0.5)
            else:
                fan_in = p[0].numel() if p.dim() > 1 else 1
                p.copy_(torch.randn(p.shape, generator=g) / (fan_in ** 0.5))
    return model.eval()


def export(model, path, opset, x):
    torch.onnx.export(
        model, x, path, opset_version=opset, input_names=['input'], output_names=['logits'],
        dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}},
    )


def gradcam_tokens(model, module, x, class_index):
    """Grad-CAM by SPEC.md at a [1, T, D] token layer (class token dropped), H×W."""
    store = {}

    def hook(_m, _i, out):
        out.retain_grad()
        store['a'] = out

    handle = module.register_forward_hook(hook)
    logits = model(x)
    handle.remove()
    logits[0, class_index].backward()
    a, g = store['a'][0], store['a'].grad[0]
    t = a.shape[0]
    grid = int(round((t - 1) ** 0.5))
    assert grid * grid == t - 1
    a = a[1:].reshape(grid, grid, -1).permute(2, 0, 1)  # D × g × g
    g = g[1:].reshape(grid, grid, -1).permute(2, 0, 1)
    cam = torch.relu((g.mean(dim=(1, 2), keepdim=True) * a).sum(0))
    cam = cam - cam.min()
    cam = cam / (cam.max() + 1e-7)
    size = x.shape[-2:]
    cam = F.interpolate(cam[None, None], size=size, mode='bilinear', align_corners=False)[0, 0]
    cam = cam - cam.min()
    cam = cam / (cam.max() + 1e-7)
    return cam.detach().numpy().astype(np.float32)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--vit-tiny-full', help='write a ViT-Ti/16 224×224 (random weights, opset 17) here and exit')
    args = parser.parse_args()
    if args.vit_tiny_full:
        torch.manual_seed(0)
        model = randomise(vision_transformer.VisionTransformer(
            image_size=224, patch_size=16, num_layers=12, num_heads=3, hidden_dim=192, mlp_dim=768, num_classes=1000), 0)
        export(model, args.vit_tiny_full, 17, torch.randn(1, 3, 224, 224))
        print(args.vit_tiny_full)
        return
    os.makedirs(OUT, exist_ok=True)
    manifest = []
    for seed, (name, make, opset, size) in enumerate(FAMILIES):
        torch.manual_seed(seed)
        model = randomise(make(), 100 + seed)
        x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(7 + seed))
        path = os.path.join(OUT, f'{name}.onnx')
        export(model, path, opset, x[:1])
        nbytes = os.path.getsize(path)
        if nbytes > MAX_BYTES:
            sys.exit(f'{name}: {nbytes} bytes is over the 2 MB limit')
        with torch.no_grad():
            logits = model(x).numpy().astype(np.float32)
        np.save(os.path.join(OUT, f'{name}.input.npy'), x.numpy().astype(np.float32))
        np.save(os.path.join(OUT, f'{name}.logits.npy'), logits)
        ops = sorted({n.op_type for n in onnx.load(path).graph.node})
        entry = {'name': name, 'file': f'{name}.onnx', 'opset': opset, 'input_size': [size, size],
                 'num_classes': logits.shape[1], 'bytes': nbytes, 'ops': ops,
                 'torch': torch.__version__, 'torchvision': torchvision.__version__}
        if name == 'vit-opset17':
            layer = 'encoder.layers.encoder_layer_1.ln_1'
            class_index = int(logits[0].argmax())
            cam = gradcam_tokens(model, model.get_submodule(layer), x[:1].clone(), class_index)
            np.save(os.path.join(OUT, f'{name}.gradcam_{layer}.npy'), cam)
            entry['gradcam'] = {'layer': layer, 'class_index': class_index, 'grid': 4}
        manifest.append(entry)
        print(f'{name}: opset {opset}, {size}×{size}, {nbytes} bytes, ops {", ".join(ops)}')
    with open(os.path.join(OUT, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')


if __name__ == '__main__':
    main()
