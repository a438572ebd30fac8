import { Random } from '@xai/core';
import { SUPPORTED_OPS } from './ops/registry.js';
import { onnx } from './proto.js';

/**
 * Seeded mutations of model files, for fuzzing the loader (used by the tests and
 * bench/onnx-fuzz.mjs): bit flips, truncations, byte runs overwritten, and fields spliced in
 * from elsewhere in the same or another file.
 */
export type Mutation = 'bitflip' | 'truncate' | 'overwrite' | 'splice' | 'duplicate';

export const MUTATIONS: readonly Mutation[] = ['bitflip', 'truncate', 'overwrite', 'splice', 'duplicate'];

/** Uniform draws in [0, 1) from the toolkit's seeded generator. */
function seededRandom(seed: number): () => number {
  const random = new Random(seed >>> 0);
  return () => random.uniform();
}

/** One mutated copy of `source` (`donor` gives spliced bytes; default the source itself). */
export function mutate(source: Uint8Array, seed: number, donor: Uint8Array = source): { bytes: Uint8Array; mutation: Mutation } {
  const rand = seededRandom(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const mutation = MUTATIONS[int(MUTATIONS.length)];
  // Structure lives mostly in the first bytes and around small fields: bias positions towards them.
  const position = (n: number) => (rand() < 0.5 ? int(Math.min(n, 4096)) : int(n));
  const bytes = Uint8Array.from(source);
  switch (mutation) {
    case 'bitflip': {
      const flips = 1 + int(8);
      for (let i = 0; i < flips; i++) {
        const p = position(bytes.length);
        bytes[p] ^= 1 << int(8);
      }
      return { bytes, mutation };
    }
    case 'truncate':
      return { bytes: bytes.slice(0, int(bytes.length)), mutation };
    case 'overwrite': {
      const p = position(bytes.length);
      const n = 1 + int(16);
      for (let i = p; i < Math.min(bytes.length, p + n); i++) bytes[i] = rand() < 0.3 ? 0xff : int(256);
      return { bytes, mutation };
    }
    case 'splice': {
      const from = int(donor.length);
      const n = 1 + int(64);
      const at = position(bytes.length);
      const piece = donor.subarray(from, Math.min(donor.length, from + n));
      const out = new Uint8Array(bytes.length + piece.length);
      out.set(bytes.subarray(0, at));
      out.set(piece, at);
      out.set(bytes.subarray(at), at + piece.length);
      return { bytes: out, mutation };
    }
    case 'duplicate': {
      const at = position(bytes.length);
      const n = 1 + int(256);
      const piece = bytes.subarray(at, Math.min(bytes.length, at + n));
      const out = new Uint8Array(bytes.length + piece.length);
      out.set(bytes.subarray(0, at + piece.length));
      out.set(piece, at + piece.length);
      out.set(bytes.subarray(at + piece.length), at + 2 * piece.length);
      return { bytes: out, mutation };
    }
  }
}

export type FieldMutation = 'attribute' | 'attributes-swapped' | 'op-type' | 'inputs' | 'dims' | 'data-type' | 'graph-input' | 'node-spliced';

export const FIELD_MUTATIONS: readonly FieldMutation[] = [
  'attribute', 'attributes-swapped', 'op-type', 'inputs', 'dims', 'data-type', 'graph-input', 'node-spliced',
];

const EXTREMES = [0, -1, 1, 2, 3, 7, 64, 1_000_000, 2 ** 31 - 1, -(2 ** 31)];

// Decoded messages, edited in place: loosely typed on purpose.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

/**
 * One copy of a model with one field changed through the ONNX schema (so it still parses): an
 * attribute set to an extreme, attributes or op types swapped between nodes, an input dropped,
 * tensor dims or element types changed, the image input's dims changed, or a node spliced in from
 * `donor`. These reach the graph builder, where byte-level mutations mostly stop at the parser.
 */
export function mutateFields(source: Uint8Array, seed: number, donor: Uint8Array = source): { bytes: Uint8Array; mutation: FieldMutation } {
  const rand = seededRandom(seed ^ 0x5bd1e995);
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)];
  const model: Loose = onnx.ModelProto.decode(source);
  const graph = model.graph;
  const nodes: Loose[] = graph.node;
  const mutation = pick(FIELD_MUTATIONS);
  switch (mutation) {
    case 'attribute': {
      const withAttrs = nodes.filter((n) => n.attribute.length > 0);
      const node = withAttrs.length ? pick(withAttrs) : pick(nodes);
      const attr = node.attribute.length ? pick(node.attribute as Loose[]) : undefined;
      if (attr) {
        if (attr.ints?.length) attr.ints[int(attr.ints.length)] = pick(EXTREMES);
        else if (attr.floats?.length) attr.floats[int(attr.floats.length)] = pick([NaN, Infinity, -1, 0, 1e30]);
        else if (attr.t) attr.t.dims = [pick(EXTREMES)];
        else {
          attr.i = pick(EXTREMES);
          attr.f = pick([NaN, -Infinity, 0, 1e30]);
        }
      }
      break;
    }
    case 'attributes-swapped': {
      const a = pick(nodes), b = pick(nodes);
      [a.attribute, b.attribute] = [b.attribute, a.attribute];
      break;
    }
    case 'op-type':
      pick(nodes).opType = pick([...SUPPORTED_OPS, 'Foo', '']);
      break;
    case 'inputs': {
      const node = pick(nodes);
      if (rand() < 0.5 && node.input.length) node.input.splice(int(node.input.length), 1);
      else node.input.push(pick(nodes).output[0] ?? '');
      break;
    }
    case 'dims': {
      const t = graph.initializer.length ? pick(graph.initializer as Loose[]) : undefined;
      if (t) {
        if (t.dims.length && rand() < 0.7) t.dims[int(t.dims.length)] = pick(EXTREMES);
        else t.dims = [...t.dims].reverse().concat(rand() < 0.5 ? [1] : []);
      }
      break;
    }
    case 'data-type': {
      const t = graph.initializer.length ? pick(graph.initializer as Loose[]) : undefined;
      if (t) t.dataType = int(20);
      break;
    }
    case 'graph-input': {
      const dims = graph.input[0]?.type?.tensorType?.shape?.dim;
      if (dims?.length) {
        const d = dims[int(dims.length)];
        if (rand() < 0.3) {
          d.dimParam = 'dynamic';
          d.dimValue = undefined;
        } else d.dimValue = pick([0, 1, 2, 5, 100_000, 2 ** 31 - 1]);
      }
      break;
    }
    case 'node-spliced': {
      const other: Loose = onnx.ModelProto.decode(donor);
      const node = pick(other.graph.node as Loose[]);
      nodes.splice(int(nodes.length + 1), 0, node);
      break;
    }
  }
  return { bytes: onnx.ModelProto.encode(model).finish(), mutation };
}
