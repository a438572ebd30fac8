#!/usr/bin/python3
"""Exports the small ONNX models that test the classifier contract checked at load.

One tiny CNN (two convolutions, average pooling, a linear head; random weights from a fixed seed)
is exported as a classifier would be in practice, with and without a dynamic batch axis, and with
heads that are not a classifier's:

    dynamic-batch.onnx      input [batch, 3, 32, 32] → logits [batch, 5]   (the reference)
    fixed-batch-1.onnx      input [1, 3, 32, 32]     → logits [1, 5]       (torch.onnx.export without dynamic_axes)
    fixed-batch-2.onnx      input [2, 3, 32, 32]     → logits [2, 5]       (a fixed batch above 1)
    conv-head.onnx          input [batch, 3, 32, 32] → logits [batch, 5, 1, 1] (a 1×1 convolution head, not flattened)
    segmentation-like.onnx  input [batch, 3, 32, 32] → [batch, 4, 32, 32]  (per-pixel scores: refused)
    vector-output.onnx      input [batch, 3, 32, 32] → [batch]             (one score per image: refused)
    squeezed-output.onnx    input [1, 3, 32, 32]     → [5]                 (the batch axis squeezed away: refused)

The first three share their weights, so their logits agree. The head flattens with
`x.view(x.size(0), -1)`, which a fixed-batch export bakes into the graph as a constant Reshape to
[1, -1] (or [2, -1]): the tfjs graph, too, can then only run batches of that size.
The tests need no Python; they read the .onnx files and manifest.json written here.

Usage (Debian's python3-torch and python3-onnx; pyenv's python may shadow /usr/bin/python3):
    /usr/bin/python3 packages/onnx/scripts/export-contract-fixtures.py   # → packages/onnx/fixtures/contract/
"""
import json
import os

import onnx
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'fixtures', 'contract')
SIZE = 32
CLASSES = 5
OPSET = 13
MAX_BYTES = 64 * 1024


class Features(nn.Sequential):
    def __init__(self, stride):
        super().__init__(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
            nn.Conv2d(8, 8, 3, stride=stride, padding=1), nn.ReLU(),
        )


class TinyNet(nn.Module):
    """features → average pool → flatten by view(N, −1) → linear."""

    def __init__(self):
        super().__init__()
        self.features = Features(stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, CLASSES)

    def forward(self, x):
        x = self.pool(self.features(x))
        return self.fc(x.view(x.size(0), -1))


class ConvHead(nn.Module):
    """features → 1×1 convolution → average pool, left as [N, K, 1, 1]."""

    def __init__(self):
        super().__init__()
        self.features = Features(stride=2)
        self.classifier = nn.Conv2d(8, CLASSES, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        return self.pool(self.classifier(self.features(x)))


class Segmenter(nn.Module):
    """features at full resolution → 1×1 convolution to 4 per-pixel scores."""

    def __init__(self):
        super().__init__()
        self.features = Features(stride=1)
        self.head = nn.Conv2d(8, 4, 1)

    def forward(self, x):
        return self.head(self.features(x))


class Scorer(TinyNet):
    """One number per image (the logits summed)."""

    def forward(self, x):
        return super().forward(x).sum(dim=1)


class Squeezed(TinyNet):
    """The logits of a batch of one, with the batch axis squeezed away."""

    def forward(self, x):
        return super().forward(x).squeeze(0)


def randomise(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            fan_in = p[0].numel() if p.dim() > 1 else 1
            p.copy_(torch.randn(p.shape, generator=g) / (fan_in ** 0.5))
    return model.eval()


def export(model, name, batch, dynamic, output):
    path = os.path.join(OUT, name)
    x = torch.randn(batch, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(1))
    axes = {'input': {0: 'batch'}, output: {0: 'batch'}} if dynamic else None
    torch.onnx.export(model, x, path, opset_version=OPSET, input_names=['input'], output_names=[output], dynamic_axes=axes)
    nbytes = os.path.getsize(path)
    if nbytes > MAX_BYTES:
        raise SystemExit(f'{name}: {nbytes} bytes is over {MAX_BYTES}')
    graph = onnx.load(path).graph
    dims = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
    entry = {'file': name, 'input': dims(graph.input[0]), 'output': output, 'output_shape': dims(graph.output[0]), 'bytes': nbytes}
    print(entry)
    return entry


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    net = randomise(TinyNet(), 0)
    entries = [
        export(net, 'dynamic-batch.onnx', 1, True, 'logits'),
        export(net, 'fixed-batch-1.onnx', 1, False, 'logits'),
        export(net, 'fixed-batch-2.onnx', 2, False, 'logits'),
        export(randomise(ConvHead(), 1), 'conv-head.onnx', 1, True, 'logits'),
        export(randomise(Segmenter(), 2), 'segmentation-like.onnx', 1, True, 'masks'),
        export(randomise(Scorer(), 3), 'vector-output.onnx', 1, True, 'score'),
        export(randomise(Squeezed(), 4), 'squeezed-output.onnx', 1, False, 'logits'),
    ]
    manifest = {'torch': torch.__version__, 'opset': OPSET, 'input_size': [SIZE, SIZE], 'num_classes': CLASSES, 'models': entries}
    with open(os.path.join(OUT, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')


if __name__ == '__main__':
    main()
