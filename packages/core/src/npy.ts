import { XaiError } from './errors.js';

export type NpyDtype = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8' | 'bool';

export type NpyData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/** An n-dimensional array in C order, as stored in a NumPy `.npy` file. */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

interface DtypeInfo {
  dtype: NpyDtype;
  bytes: number;
  make: (buffer: ArrayBuffer, length: number) => NpyData;
}

const DTYPES: Record<string, DtypeInfo> = {
  f4: { dtype: 'float32', bytes: 4, make: (b, n) => new Float32Array(b, 0, n) },
  f8: { dtype: 'float64', bytes: 8, make: (b, n) => new Float64Array(b, 0, n) },
  i4: { dtype: 'int32', bytes: 4, make: (b, n) => new Int32Array(b, 0, n) },
  i8: { dtype: 'int64', bytes: 8, make: (b, n) => new BigInt64Array(b, 0, n) },
  u1: { dtype: 'uint8', bytes: 1, make: (b, n) => new Uint8Array(b, 0, n) },
  b1: { dtype: 'bool', bytes: 1, make: (b, n) => new Uint8Array(b, 0, n) },
};

const DESCR: Record<NpyDtype, string> = {
  float32: '<f4',
  float64: '<f8',
  int32: '<i4',
  int64: '<i8',
  uint8: '|u1',
  bool: '|b1',
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ACCEPTED = 'float32, float64, int32, int64, uint8 and bool arrays in C order, .npy versions 1.0–3.0';
const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Parses the bytes of a `.npy` file. `name` is used in error messages. */
export function parseNpy(bytes: Uint8Array, name = '.npy data'): NpyArray {
  const fail = (what: string): never => {
    throw new XaiError(`${name}: ${what}; accepted: ${ACCEPTED}`);
  };
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) fail('not a .npy file (bad magic bytes)');
  const major = bytes[6];
  if (major < 1 || major > 3) fail(`unsupported .npy version ${major}.${bytes[7]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) fail('truncated header');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = 8 + lengthBytes;
  if (bytes.length < headerStart + headerLength) fail('truncated header');
  const decoder = new TextDecoder(major === 3 ? 'utf-8' : 'latin1');
  const header = decoder.decode(bytes.subarray(headerStart, headerStart + headerLength));

  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    fail(`unreadable header ${JSON.stringify(header.trim())}`);
  }
  if (fortran === 'True') fail('Fortran-order arrays are not supported (save with np.ascontiguousarray)');
  const order = descr!.charAt(0);
  const info = DTYPES[descr!.slice(1)];
  if (!info || !['<', '>', '|', '='].includes(order)) fail(`unsupported dtype '${descr}'`);
  const shape = shapeText!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) fail(`bad shape (${shapeText})`);
  const length = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLength;
  const needed = length * info.bytes;
  if (bytes.length - dataStart < needed) {
    fail(`truncated data: shape (${shape.join(', ')}) needs ${needed} bytes, the file has ${bytes.length - dataStart}`);
  }
  const copy = bytes.slice(dataStart, dataStart + needed);
  const bigEndian = order === '>' || (order === '=' && !littleEndianHost);
  if (info.bytes > 1 && bigEndian === littleEndianHost) swapBytes(copy, info.bytes);
  return { dtype: info.dtype, shape, data: info.make(copy.buffer, length) };
}

/** Serialises an array as a `.npy` file (version 1.0, or 2.0 when the header needs it). */
export function formatNpy(array: NpyArray): Uint8Array {
  const length = array.shape.reduce((a, b) => a * b, 1);
  if (array.data.length !== length) {
    throw new XaiError(`Array of shape (${array.shape.join(', ')}) needs ${length} values, got ${array.data.length}`);
  }
  const header = npyHeader(array.dtype, array.shape);
  const body = new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength);
  const out = new Uint8Array(header.length + body.length);
  out.set(header, 0);
  out.set(body, header.length);
  if (!littleEndianHost && array.data.BYTES_PER_ELEMENT > 1) swapBytes(out.subarray(header.length), array.data.BYTES_PER_ELEMENT);
  return out;
}

/**
 * The header of a little-endian C-order `.npy` file, padded so the data starts on a 64-byte
 * boundary. Write the values after it to stream a large array to a file.
 */
export function npyHeader(dtype: NpyDtype, shape: readonly number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const major = dict.length + 12 > 0xffff ? 2 : 1;
  const prefix = major === 1 ? 10 : 12;
  const padded = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  const text = dict + ' '.repeat(padded - prefix - dict.length - 1) + '\n';
  const out = new Uint8Array(padded);
  out.set(MAGIC, 0);
  out[6] = major;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, text.length, true);
  else view.setUint32(8, text.length, true);
  for (let i = 0; i < text.length; i++) out[prefix + i] = text.charCodeAt(i);
  return out;
}

/** An array's values as float32 (int64 values beyond 2^53 lose precision). */
export function npyToFloat32(array: NpyArray): Float32Array {
  if (array.data instanceof Float32Array) return array.data;
  if (array.data instanceof BigInt64Array) return Float32Array.from(array.data, Number);
  return Float32Array.from(array.data);
}

function swapBytes(bytes: Uint8Array, width: number): void {
  for (let i = 0; i < bytes.length; i += width) bytes.subarray(i, i + width).reverse();
}
