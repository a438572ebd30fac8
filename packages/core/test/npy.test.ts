import { describe, expect, it } from 'vitest';
import { formatNpy, npyToFloat32, parseNpy, type NpyArray } from '../src/npy.js';
import { readFixtureNpy } from './helpers.js';

const samples: NpyArray[] = [
  { dtype: 'float32', shape: [2, 3], data: Float32Array.from([1.5, -2, 3.25, 0, 1e-8, 7]) },
  { dtype: 'float64', shape: [4], data: Float64Array.from([Math.PI, -1e300, 0, 2]) },
  { dtype: 'int32', shape: [2, 1, 2], data: Int32Array.from([-5, 2 ** 31 - 1, 0, 9]) },
  { dtype: 'int64', shape: [3], data: BigInt64Array.from([-(2n ** 40n), 0n, 12345678901234n]) },
  { dtype: 'uint8', shape: [2, 2], data: Uint8Array.from([0, 255, 7, 128]) },
  { dtype: 'bool', shape: [3], data: Uint8Array.from([1, 0, 1]) },
  { dtype: 'float32', shape: [], data: Float32Array.from([42]) },
  { dtype: 'float32', shape: [0, 5], data: new Float32Array(0) },
];

/** A hand-made file with a given version and header, to test what NumPy may write. */
function npyBytes(major: number, header: string, body: Uint8Array): Uint8Array {
  const lengthBytes = major === 1 ? 2 : 4;
  const encoded = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + lengthBytes + encoded.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, encoded.length, true);
  else view.setUint32(8, encoded.length, true);
  out.set(encoded, 8 + lengthBytes);
  out.set(body, 8 + lengthBytes + encoded.length);
  return out;
}

describe('.npy files', () => {
  for (const sample of samples) {
    it(`round-trips ${sample.dtype} of shape (${sample.shape.join(', ')})`, () => {
      const bytes = formatNpy(sample);
      expect((10 + new DataView(bytes.buffer).getUint16(8, true)) % 64).toBe(0);
      const back = parseNpy(bytes);
      expect(back.dtype).toBe(sample.dtype);
      expect(back.shape).toEqual(sample.shape);
      expect(Array.from(back.data as ArrayLike<number | bigint>)).toEqual(Array.from(sample.data as ArrayLike<number | bigint>));
    });
  }

  it('reads versions 2.0 and 3.0 and big-endian data', () => {
    const body = new Uint8Array(Float32Array.from([1, 2]).buffer);
    const v2 = parseNpy(npyBytes(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", body));
    expect(Array.from(v2.data as Float32Array)).toEqual([1, 2]);
    const v3 = parseNpy(npyBytes(3, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), } é\n", body));
    expect(v3.shape).toEqual([1, 2]);
    const big = new Uint8Array(8);
    new DataView(big.buffer).setFloat64(0, -3.5, false);
    const be = parseNpy(npyBytes(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }\n", big));
    expect(Array.from(be.data as Float64Array)).toEqual([-3.5]);
  });

  it('reads the golden arrays', () => {
    const input = readFixtureNpy('tiny-chelsea', 'input.npy');
    expect(input.dtype).toBe('float32');
    expect(input.shape).toEqual([1, 3, 64, 64]);
    const order = readFixtureNpy('tiny-chelsea', 'salient_order.npy');
    expect(order.dtype).toBe('int64');
    expect(order.shape).toEqual([1, 4096]);
    const positions = npyToFloat32(order);
    expect(new Set(positions).size).toBe(4096);
    expect(Math.max(...positions)).toBe(4095);
    const masks = readFixtureNpy('tiny-chelsea', 'masks_orig.npy');
    expect(masks.shape).toEqual([200, 1, 64, 64]);
    expect(new Set(npyToFloat32(masks).subarray(0, 4096)).size).toBeGreaterThan(2);
  });

  it('names what is wrong with a bad file and what is accepted', () => {
    const body = new Uint8Array(8);
    expect(() => parseNpy(npyBytes(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }\n", body), 'a.npy')).toThrow(
      /a\.npy: Fortran-order arrays are not supported.*accepted: float32/,
    );
    expect(() => parseNpy(npyBytes(1, "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }\n", body), 'b.npy')).toThrow(
      /b\.npy: unsupported dtype '\|O'/,
    );
    const full = formatNpy(samples[0]);
    expect(() => parseNpy(full.subarray(0, full.length - 3), 'c.npy')).toThrow(/c\.npy: truncated data: shape \(2, 3\) needs 24 bytes, the file has 21/);
    expect(() => parseNpy(full.subarray(0, 20), 'd.npy')).toThrow(/d\.npy: truncated header/);
    expect(() => parseNpy(new TextEncoder().encode('hello world, not numpy'), 'e.npy')).toThrow(/e\.npy: not a \.npy file/);
    expect(() => parseNpy(npyBytes(4, "{}", body), 'f.npy')).toThrow(/unsupported \.npy version 4/);
  });

  it('refuses to write data that does not fill the shape', () => {
    expect(() => formatNpy({ dtype: 'float32', shape: [2, 2], data: new Float32Array(3) })).toThrow(/shape \(2, 2\) needs 4 values, got 3/);
  });
});
