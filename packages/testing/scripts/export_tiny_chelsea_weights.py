"""Converts fixtures/tiny-chelsea/state_dict.npz into files TypeScript can read without an npz reader.

Writes, next to the npz:
  weights.json  {"dtype": "float32", "tensors": [{"name", "shape", "offset"}]}  (offset in values)
  weights.bin   every tensor's float32 values, little-endian, concatenated in manifest order

Names and layouts stay PyTorch's (conv weights OIHW); the TypeScript builder transposes.
Needs only numpy:  python3 packages/testing/scripts/export_tiny_chelsea_weights.py
"""
import json
import pathlib

import numpy as np

FIXTURE = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "tiny-chelsea"


def main() -> None:
    state = np.load(FIXTURE / "state_dict.npz")
    tensors = []
    chunks = []
    offset = 0
    for name in state.files:
        values = np.ascontiguousarray(state[name], dtype="<f4")
        tensors.append({"name": name, "shape": list(values.shape), "offset": offset})
        chunks.append(values.tobytes())
        offset += values.size
    (FIXTURE / "weights.bin").write_bytes(b"".join(chunks))
    manifest = {"source": "state_dict.npz", "dtype": "float32", "tensors": tensors}
    (FIXTURE / "weights.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"wrote {len(tensors)} tensors, {offset} values")


if __name__ == "__main__":
    main()
