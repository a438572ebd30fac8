# Writes test/fixtures/numpy-random.json: NumPy legacy RandomState draws that @xai/core Random must equal.
# Run: python3 scripts/numpy-random-reference.py > test/fixtures/numpy-random.json
import numpy as np, json
out = {}
for seed in [0, 1, 42, 4294967295]:
    r = np.random.RandomState(seed)
    r = np.random.RandomState(seed)
    uni = r.random_sample(5).tolist()
    r = np.random.RandomState(seed)
    nor = r.standard_normal(5).tolist()
    r = np.random.RandomState(seed)
    ints = [int(r.randint(7)) for _ in range(5)] + [int(r.randint(1000)) for _ in range(5)]
    r = np.random.RandomState(seed)
    mixed = [r.random_sample(), r.standard_normal(), r.random_sample(), r.standard_normal(), r.standard_normal()]
    out[str(seed)] = dict(uniform=uni, normal=nor, integer=ints, mixed=mixed)
print(json.dumps(out, indent=1))
