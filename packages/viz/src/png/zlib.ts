import { adler32 } from './checksums.js';

const MAX_STORED = 65535;

/** A zlib stream of uncompressed ("stored") deflate blocks: valid everywhere, no compression. */
export function zlibStored(data: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(data.length / MAX_STORED));
  const out = new Uint8Array(2 + blocks * 5 + data.length + 4);
  const view = new DataView(out.buffer);
  out[0] = 0x78; // deflate, 32 KiB window
  out[1] = 0x01; // no preset dictionary, fastest; (0x78 << 8 | 0x01) % 31 === 0
  let at = 2;
  for (let b = 0; b < blocks; b++) {
    const chunk = data.subarray(b * MAX_STORED, (b + 1) * MAX_STORED);
    out[at] = b === blocks - 1 ? 1 : 0; // BFINAL, BTYPE = 00 (stored)
    view.setUint16(at + 1, chunk.length, true);
    view.setUint16(at + 3, ~chunk.length & 0xffff, true);
    out.set(chunk, at + 5);
    at += 5 + chunk.length;
  }
  view.setUint32(at, adler32(data));
  return out;
}

/** zlib-compressed with the platform's `CompressionStream` (browsers, Node ≥ 18), else stored. */
export async function zlibCompress(data: Uint8Array): Promise<Uint8Array> {
  if (typeof CompressionStream !== 'function' || typeof Response !== 'function') return zlibStored(data);
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
