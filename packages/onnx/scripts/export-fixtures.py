#!/usr/bin/python3
"""Exports reduced torchvision CNNs to ONNX as test fixtures for @xai/onnx.

Each family in DESIGN.md ("Models that must work") gets one small model with torchvision's own
module names, random weights from a fixed seed, eval mode, a dynamic batch axis, and an opset
between 11 and 17. Files stay under 3 MB. The tests compare the tfjs graph with onnxruntime, so
no reference outputs are written and the tests never need Python.

Usage (Debian's python3-torch and python3-torchvision; pyenv's python may shadow /usr/bin/python3):
    /usr/bin/python3 packages/onnx/scripts/export-fixtures.py            # → packages/onnx/fixtures/
    /usr/bin/python3 packages/onnx/scripts/export-fixtures.py --resnet18-full /tmp/resnet18.onnx
"""
import argparse
import json
import os
import sys

import torch
import torch.nn as nn
import torchvision
from torchvision.models import densenet, efficientnet, mobilenetv2, mobilenetv3, resnet, shufflenetv2, squeezenet, vgg

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'fixtures')
NUM_CLASSES = 10
MAX_BYTES = 3 * 1024 * 1024


class SlimResNet(resnet.ResNet):
    """torchvision's ResNet with every stage `divisor` times narrower (names unchanged)."""

    divisor = 4

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        return super()._make_layer(block, planes // self.divisor, blocks, stride, dilate)


def slim_resnet(block, layers, **kwargs):
    model = SlimResNet(block, layers, num_classes=NUM_CLASSES, **kwargs)
    model.fc = nn.Linear(model.fc.in_features // SlimResNet.divisor, NUM_CLASSES)
    return model


def small_vgg():
    cfg = [8, 'M', 16, 'M', 32, 32, 'M', 32, 'M']
    model = vgg.VGG(vgg.make_layers(cfg, batch_norm=True), num_classes=NUM_CLASSES)
    model.classifier = nn.Sequential(
        nn.Linear(32 * 7 * 7, 64), nn.ReLU(True), nn.Dropout(), nn.Linear(64, NUM_CLASSES)
    )
    return model


def small_squeezenet():
    model = squeezenet.squeezenet1_1(num_classes=NUM_CLASSES)
    # Keep the stem and the first two Fire stages (names stay features.N, classifier.N).
    model.features = nn.Sequential(*list(model.features.children())[:9])
    model.classifier[1] = nn.Conv2d(256, NUM_CLASSES, kernel_size=1)
    return model


def small_efficientnet():
    setting, last_channel = efficientnet._efficientnet_conf('efficientnet_b0', width_mult=0.25, depth_mult=0.34)
    return efficientnet.EfficientNet(setting, 0.2, num_classes=NUM_CLASSES, last_channel=last_channel)


def small_densenet():
    return densenet.DenseNet(
        growth_rate=8, block_config=(2, 2, 2, 2), num_init_features=16, bn_size=2, num_classes=NUM_CLASSES
    )


# name, constructor, opset, input size (H = W)
FAMILIES = [
    ('resnet', lambda: slim_resnet(resnet.BasicBlock, [2, 1, 1, 1]), 11, 64),
    ('resnet-bottleneck', lambda: slim_resnet(resnet.Bottleneck, [1, 1, 1, 1], groups=4, width_per_group=16), 17, 64),
    ('vgg', small_vgg, 12, 112),
    ('mobilenet-v2', lambda: mobilenetv2.mobilenet_v2(width_mult=0.25, num_classes=NUM_CLASSES), 13, 64),
    ('mobilenet-v3', lambda: mobilenetv3.mobilenet_v3_small(width_mult=0.5, num_classes=NUM_CLASSES), 14, 64),
    ('mobilenet-v3-large', lambda: mobilenetv3.mobilenet_v3_large(width_mult=0.25, num_classes=NUM_CLASSES), 11, 64),
    ('efficientnet', small_efficientnet, 15, 64),
    ('squeezenet', small_squeezenet, 16, 64),
    ('shufflenet', lambda: shufflenetv2.shufflenet_v2_x0_5(num_classes=NUM_CLASSES), 17, 64),
    ('densenet', small_densenet, 13, 64),
]


def randomise(model, seed):
    """Random but fixed weights, including batch-norm statistics (so folding is exercised)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            fan_in = p[0].numel() if p.dim() > 1 else 1
            p.copy_(torch.randn(p.shape, generator=g) / (fan_in ** 0.5))
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
    return model.eval()


def export(model, path, opset, size):
    x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(1))
    torch.onnx.export(
        model, x, path, opset_version=opset, input_names=['input'], output_names=['logits'],
        dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}},
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--resnet18-full', help='write a full-size torchvision ResNet-18 (random weights) here and exit')
    parser.add_argument('--only', help='comma-separated family names')
    args = parser.parse_args()
    torch.manual_seed(0)
    if args.resnet18_full:
        model = randomise(torchvision.models.resnet18(num_classes=1000), 0)
        export(model, args.resnet18_full, 13, 224)
        print(args.resnet18_full)
        return
    os.makedirs(OUT, exist_ok=True)
    wanted = set(args.only.split(',')) if args.only else None
    manifest = []
    for seed, (name, make, opset, size) in enumerate(FAMILIES):
        if wanted and name not in wanted:
            continue
        torch.manual_seed(seed)
        model = randomise(make(), seed)
        path = os.path.join(OUT, f'{name}.onnx')
        export(model, path, opset, size)
        nbytes = os.path.getsize(path)
        if nbytes > MAX_BYTES:
            sys.exit(f'{name}: {nbytes} bytes is over the 3 MB limit')
        manifest.append({'name': name, 'file': f'{name}.onnx', 'opset': opset, 'input_size': [size, size],
                         'num_classes': NUM_CLASSES, 'bytes': nbytes,
                         'torch': torch.__version__, 'torchvision': torchvision.__version__})
        print(f'{name}: opset {opset}, {size}×{size}, {nbytes} bytes')
    if not wanted:
        with open(os.path.join(OUT, 'manifest.json'), 'w') as f:
            json.dump(manifest, f, indent=2)
            f.write('\n')


if __name__ == '__main__':
    main()
