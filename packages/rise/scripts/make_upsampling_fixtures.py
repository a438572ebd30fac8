"""Unpacks packages/testing/fixtures/mask_upsampling.npz into .npy files for the rise tests.

Each case i and kind (binary, gauss) gives `{i}_{kind}_grid.npy` (s×s), `{i}_{kind}_mask.npy`
(H×H, scikit-image's resize(order=1, mode='reflect', anti_aliasing=False) to (s+1)·ceil(H/s),
cropped) and `{i}_{kind}_meta.npy` ([s, H, dy, dx]). Run from packages/rise:

    python3 scripts/make_upsampling_fixtures.py
"""
from pathlib import Path

import numpy as np

here = Path(__file__).resolve().parent
source = here.parent.parent / 'testing' / 'fixtures' / 'mask_upsampling.npz'
target = here.parent / 'test' / 'fixtures' / 'mask-upsampling'
target.mkdir(parents=True, exist_ok=True)

with np.load(source) as arrays:
    for name in arrays.files:
        np.save(target / f'{name}.npy', np.ascontiguousarray(arrays[name]))
        print(name, arrays[name].shape, arrays[name].dtype)
