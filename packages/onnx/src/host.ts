import { XaiError } from '@xai/core';
import { toNumber, type TensorProto } from './proto.js';

/**
 * A tensor held in JavaScript memory: weights, constants and the small integer tensors of shape
 * arithmetic (Shape → Gather → Concat → Reshape). Integers are held as float64 numbers.
 */
export interface HostTensor {
  dtype: 'float32' | 'int' | 'bool';
  shape: number[];
  data: Float32Array | Float64Array;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function hostInts(values: readonly number[], shape: number[] = [values.length]): HostTensor {
  return { dtype: 'int', shape, data: Float64Array.from(values) };
}

/** ONNX TensorProto.DataType codes. */
export const DTYPE = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
  FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, BFLOAT16: 16,
} as const;

const DTYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(DTYPE).map(([k, v]) => [v, k.toLowerCase()]));

export function dtypeName(code: number): string {
  return DTYPE_NAMES[code] ?? `#${code}`;
}

/** Which host dtype an ONNX element type becomes (undefined: not supported). */
export function hostDtypeOf(code: number): HostTensor['dtype'] | undefined {
  switch (code) {
    case DTYPE.FLOAT: case DTYPE.DOUBLE: case DTYPE.FLOAT16: case DTYPE.BFLOAT16:
      return 'float32';
    case DTYPE.UINT8: case DTYPE.INT8: case DTYPE.UINT16: case DTYPE.INT16: case DTYPE.INT32:
    case DTYPE.INT64: case DTYPE.UINT32: case DTYPE.UINT64:
      return 'int';
    case DTYPE.BOOL:
      return 'bool';
    default:
      return undefined;
  }
}

const BYTES: Record<number, number> = {
  [DTYPE.FLOAT]: 4, [DTYPE.UINT8]: 1, [DTYPE.INT8]: 1, [DTYPE.UINT16]: 2, [DTYPE.INT16]: 2, [DTYPE.INT32]: 4,
  [DTYPE.INT64]: 8, [DTYPE.BOOL]: 1, [DTYPE.FLOAT16]: 2, [DTYPE.DOUBLE]: 8, [DTYPE.UINT32]: 4, [DTYPE.UINT64]: 8,
  [DTYPE.BFLOAT16]: 2,
};

/** Reads external tensor data: `location` relative to the model, a byte range of it. */
export type ExternalDataReader = (location: string, offset: number, length: number | undefined) => Uint8Array;

const MAX_ELEMENTS = 2 ** 31 - 1;

/** Checks dims and returns the element count; never allocates. */
export function checkDims(dims: readonly number[], what: string): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new XaiError(`${what} has an invalid dimension ${d}`);
    n *= d;
    if (n > MAX_ELEMENTS) throw new XaiError(`${what} is too large (${dims.join('×')} elements)`);
  }
  return n;
}

/** Converts an ONNX TensorProto to a host tensor, checking every size against the data present. */
export function tensorFromProto(t: TensorProto, readExternal?: ExternalDataReader): HostTensor {
  const name = t.name ? `tensor "${t.name}"` : 'a tensor';
  const code = t.dataType ?? 0;
  const dtype = hostDtypeOf(code);
  if (!dtype) throw new XaiError(`${name} has element type ${dtypeName(code)}, which @xai/onnx does not read`);
  const shape = (t.dims ?? []).map(toNumber);
  const n = checkDims(shape, name);
  let raw: Uint8Array | undefined = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  if (t.dataLocation === 1) {
    raw = readExternalData(t, name, n * (BYTES[code] ?? 1), readExternal);
  }
  if (raw) return { dtype, shape, data: fromRaw(raw, code, n, name) };
  const out = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  const source = pickTyped(t, code);
  if (source.length !== n) {
    throw new XaiError(`${name} declares ${shape.join('×') || 'a scalar'} (${n} values) but holds ${source.length}`);
  }
  if (code === DTYPE.FLOAT16) for (let i = 0; i < n; i++) out[i] = halfToFloat(toNumber(source[i]));
  else if (code === DTYPE.BFLOAT16) for (let i = 0; i < n; i++) out[i] = bfloatToFloat(toNumber(source[i]));
  else for (let i = 0; i < n; i++) out[i] = toNumber(source[i]);
  return { dtype, shape, data: out };
}

function pickTyped(t: TensorProto, code: number): ArrayLike<unknown> {
  switch (code) {
    case DTYPE.FLOAT: return t.floatData ?? [];
    case DTYPE.DOUBLE: return t.doubleData ?? [];
    case DTYPE.INT64: return t.int64Data ?? [];
    case DTYPE.UINT32: case DTYPE.UINT64: return t.uint64Data ?? [];
    default: return t.int32Data ?? [];
  }
}

function readExternalData(t: TensorProto, name: string, bytes: number, readExternal?: ExternalDataReader): Uint8Array {
  const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location');
  if (!location) throw new XaiError(`${name} keeps its data outside the model but names no file`);
  if (location.startsWith('/') || location.startsWith('\\') || /^[a-zA-Z]:/.test(location) || location.split(/[\\/]/).includes('..')) {
    throw new XaiError(`${name} keeps its data in "${location}", which is not a file beside the model; refused`);
  }
  if (!readExternal) {
    throw new XaiError(
      `${name} keeps its data in the external file "${location}", which was not given: load the model from its path in Node (the file must sit beside it), or pass options.externalData { "${location}": bytes }`,
    );
  }
  const offset = entries.has('offset') ? Number(entries.get('offset')) : 0;
  const length = entries.has('length') ? Number(entries.get('length')) : bytes;
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length !== bytes) {
    throw new XaiError(`${name} has an invalid external data range (offset ${entries.get('offset')}, length ${entries.get('length')})`);
  }
  const data = readExternal(location, offset, length);
  if (data.length !== bytes) {
    throw new XaiError(`${name}: the external file "${location}" holds ${data.length} of the ${bytes} bytes needed at offset ${offset}`);
  }
  return data;
}

function fromRaw(raw: Uint8Array, code: number, n: number, name: string): Float32Array | Float64Array {
  const size = BYTES[code] ?? 1;
  if (raw.length !== n * size) {
    throw new XaiError(`${name} needs ${n * size} bytes of data for its shape but has ${raw.length}`);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (code === DTYPE.FLOAT) {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  const floats = hostDtypeOf(code) === 'float32';
  const out = floats ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * size;
    switch (code) {
      case DTYPE.DOUBLE: out[i] = view.getFloat64(o, true); break;
      case DTYPE.FLOAT16: out[i] = halfToFloat(view.getUint16(o, true)); break;
      case DTYPE.BFLOAT16: out[i] = bfloatToFloat(view.getUint16(o, true)); break;
      case DTYPE.UINT8: case DTYPE.BOOL: out[i] = view.getUint8(o); break;
      case DTYPE.INT8: out[i] = view.getInt8(o); break;
      case DTYPE.UINT16: out[i] = view.getUint16(o, true); break;
      case DTYPE.INT16: out[i] = view.getInt16(o, true); break;
      case DTYPE.INT32: out[i] = view.getInt32(o, true); break;
      case DTYPE.UINT32: out[i] = view.getUint32(o, true); break;
      case DTYPE.INT64: out[i] = Number(view.getBigInt64(o, true)); break;
      case DTYPE.UINT64: out[i] = Number(view.getBigUint64(o, true)); break;
      default: throw new XaiError(`${name}: element type ${dtypeName(code)} is not supported`);
    }
  }
  return out;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function bfloatToFloat(b: number): number {
  return new Float32Array(new Uint32Array([b << 16]).buffer)[0];
}
