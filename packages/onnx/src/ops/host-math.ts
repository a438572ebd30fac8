import { XaiError } from '@xai/core';
import { sizeOf, type HostTensor } from '../host.js';

/** NumPy broadcasting of two shapes; undefined when they do not broadcast. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(da === 1 ? db : da);
  }
  return out;
}

function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Element-wise binary op on host tensors with broadcasting (small tensors: shape arithmetic). */
export function hostBinary(a: HostTensor, b: HostTensor, f: (x: number, y: number) => number, intResult: boolean): HostTensor {
  const shape = broadcastShapes(a.shape, b.shape);
  if (!shape) throw new XaiError(`shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] do not broadcast`);
  const n = sizeOf(shape);
  const out = intResult ? new Float64Array(n) : new Float32Array(n);
  const rank = shape.length;
  const sa = stridesOf(a.shape), sb = stridesOf(b.shape);
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    let ia = 0, ib = 0;
    for (let d = 0; d < rank; d++) {
      const da = d - (rank - a.shape.length), db = d - (rank - b.shape.length);
      if (da >= 0 && a.shape[da] !== 1) ia += idx[d] * sa[da];
      if (db >= 0 && b.shape[db] !== 1) ib += idx[d] * sb[db];
    }
    out[i] = f(a.data[ia], b.data[ib]);
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return { dtype: intResult ? 'int' : 'float32', shape, data: out };
}

/** Copies the elements selected per axis (`picks[d]` lists source indices along axis d). */
export function hostSelect(t: HostTensor, picks: number[][]): HostTensor {
  const shape = picks.map((p) => p.length);
  const n = sizeOf(shape);
  const out = t.dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  const strides = stridesOf(t.shape);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += picks[d][idx[d]] * strides[d];
    out[i] = t.data[src];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return { dtype: t.dtype, shape, data: out };
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

export function hostConcat(parts: HostTensor[], axis: number): HostTensor {
  const first = parts[0];
  const shape = [...first.shape];
  shape[axis] = parts.reduce((s, p) => s + p.shape[axis], 0);
  const outer = sizeOf(first.shape.slice(0, axis));
  const float = parts.some((p) => p.dtype === 'float32');
  const out = float ? new Float32Array(sizeOf(shape)) : new Float64Array(sizeOf(shape));
  let o = 0;
  for (let i = 0; i < outer; i++) {
    for (const p of parts) {
      const inner = sizeOf(p.shape.slice(axis));
      out.set(p.data.subarray(i * inner, (i + 1) * inner), o);
      o += inner;
    }
  }
  return { dtype: float ? 'float32' : first.dtype, shape, data: out };
}

/** Element-wise map over any number of host tensors with NumPy broadcasting. */
export function hostBroadcast(
  parts: readonly HostTensor[],
  f: (values: number[]) => number,
  dtype: HostTensor['dtype'],
): HostTensor {
  let shape: number[] | undefined = [];
  for (const p of parts) {
    shape = broadcastShapes(shape, p.shape);
    if (!shape) throw new XaiError(`shapes ${parts.map((q) => `[${q.shape.join(', ')}]`).join(', ')} do not broadcast`);
  }
  const n = sizeOf(shape);
  const out = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  const rank = shape.length;
  const strides = parts.map((p) => stridesOf(p.shape));
  const idx = new Array<number>(rank).fill(0);
  const values = new Array<number>(parts.length);
  for (let i = 0; i < n; i++) {
    parts.forEach((p, k) => {
      let at = 0;
      for (let d = 0; d < rank; d++) {
        const pd = d - (rank - p.shape.length);
        if (pd >= 0 && p.shape[pd] !== 1) at += idx[d] * strides[k][pd];
      }
      values[k] = p.data[at];
    });
    out[i] = f(values);
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return { dtype, shape, data: out };
}
