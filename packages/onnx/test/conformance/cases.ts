/**
 * ONNX's backend node tests as data: each case a single-operator model (or its expansion into
 * primitive operators, `*_expanded`) with inputs and the outputs ONNX's reference computed.
 * Debian's `libonnx-testdata` installs them; the forward conformance test runs them through the
 * tfjs graph, and a gradient check can reuse the same cases.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dtypeName, tensorFromProto, type HostTensor } from '../../src/host.js';
import { defaultOpset, onnx, toNumber, type ModelProto, type TensorProto } from '../../src/proto.js';

/** Where the node tests are looked for: `$ONNX_NODE_TESTS`, then Debian's two paths to them. */
export const NODE_TEST_DIRS = [
  '/usr/share/libonnx-testdata/data/node',
  '/usr/lib/python3/dist-packages/onnx/backend/test/data/node',
];

export const INSTALL_HINT = 'ONNX backend node tests not found: install them with `apt-get install libonnx-testdata` (CI does), or point ONNX_NODE_TESTS at a data/node folder';

/** The folder holding the node tests (`test_abs/model.onnx`, …), or undefined when not installed. */
export function nodeTestsDir(): string | undefined {
  const candidates = process.env.ONNX_NODE_TESTS ? [process.env.ONNX_NODE_TESTS] : NODE_TEST_DIRS;
  return candidates.find((dir) => existsSync(join(dir, 'test_abs', 'model.onnx')));
}

/** A tensor of a case: ONNX's element type name and dims, the values as the tfjs graph reads them. */
export interface CaseTensor {
  name: string;
  /** ONNX element type: `float`, `double`, `int64`, `int32`, `bool`, `float16`, `uint8`, … */
  dtype: string;
  dims: number[];
  /**
   * The values read by `tensorFromProto`: Float32Array for floating types (doubles rounded to
   * float32), Float64Array for integers (exact up to 2^53) and bools (0/1).
   */
  data: Float32Array | Float64Array;
  /** The same, as the graph's host tensor (for initializers and feeds). */
  host: HostTensor;
  /** The TensorProto as stored, named as the graph names it. */
  proto: TensorProto;
}

export interface CaseInfo {
  /** `test_conv_with_strides_padding`; a case with several data sets adds `/1`, `/2`… after the first. */
  name: string;
  /** The operator under test: the node's op type; for `*_expanded`, the op the function expands. */
  op: string;
  /** Every op type in the graph (one for a single-node case). */
  nodeOps: string[];
  /** The default-domain opset the model imports. */
  opset: number;
  /** Domains other than the default one the model imports (`ai.onnx.preview.training`). */
  otherDomains: string[];
}

export interface ConformanceCase extends CaseInfo {
  dir: string;
  modelBytes: Uint8Array;
  /** Graph inputs in declaration order (initializers excluded), with the data set's values. */
  inputs: CaseTensor[];
  outputs: CaseTensor[];
  /** Set when a tensor could not be read (a string tensor): then inputs and outputs are empty. */
  unreadable?: string;
}

export function decode(bytes: Uint8Array): ModelProto {
  return onnx.ModelProto.decode(bytes);
}

function opsOf(model: ModelProto): string[] {
  const ops = (model.graph?.node ?? []).map((n) => (n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.` : '') + (n.opType ?? ''));
  return [...new Set(ops)];
}

function readTensor(path: string, name: string): CaseTensor {
  const proto = onnx.TensorProto.decode(readFileSync(path));
  proto.name = name;
  const host = tensorFromProto(proto);
  return { name, dtype: dtypeName(proto.dataType ?? 0), dims: (proto.dims ?? []).map(toNumber), data: host.data, host, proto };
}

/**
 * ONNX's node tests as installed (Debian 12 ships ONNX 1.12's: opsets 1–17, 932 models), one
 * case per data set, in name order. `filter` sees each case's name, op and opset before its data
 * is read. Throws with an install hint when the tests are not installed.
 */
export function conformanceCases(filter?: (info: CaseInfo) => boolean): ConformanceCase[] {
  const root = nodeTestsDir();
  if (!root) throw new Error(INSTALL_HINT);
  const dirs = readdirSync(root).filter((d) => existsSync(join(root, d, 'model.onnx'))).sort();
  const models = new Map(dirs.map((d) => {
    const bytes = new Uint8Array(readFileSync(join(root, d, 'model.onnx')));
    return [d, { bytes, model: decode(bytes) }] as const;
  }));
  const cases: ConformanceCase[] = [];
  for (const dir of dirs) {
    const { bytes, model } = models.get(dir)!;
    const nodeOps = opsOf(model);
    // An expanded case tests the function its plain sibling runs as one node.
    const sibling = dir.endsWith('_expanded') ? models.get(dir.slice(0, -'_expanded'.length)) : undefined;
    const siblingOps = sibling ? opsOf(sibling.model) : undefined;
    const op = siblingOps?.length === 1 ? siblingOps[0] : nodeOps.length === 1 ? nodeOps[0] : nodeOps.join('+');
    const otherDomains = (model.opsetImport ?? []).map((o) => o.domain ?? '').filter((d) => d !== '' && d !== 'ai.onnx');
    const sets = readdirSync(join(root, dir)).filter((d) => d.startsWith('test_data_set_')).sort((a, b) => setIndex(a) - setIndex(b));
    for (const set of sets) {
      const index = setIndex(set);
      const info: CaseInfo = { name: index === 0 ? dir : `${dir}/${index}`, op, nodeOps, opset: defaultOpset(model), otherDomains };
      if (filter && !filter(info)) continue;
      cases.push({ ...info, dir: join(root, dir), modelBytes: bytes, ...readData(model, join(root, dir, set)) });
    }
  }
  return cases;
}

function setIndex(folder: string): number {
  return Number(folder.slice('test_data_set_'.length));
}

function readData(model: ModelProto, dir: string): Pick<ConformanceCase, 'inputs' | 'outputs' | 'unreadable'> {
  const initializers = new Set((model.graph?.initializer ?? []).map((i) => i.name));
  const inputs = (model.graph?.input ?? []).filter((i) => !initializers.has(i.name));
  const outputs = model.graph?.output ?? [];
  // Sequences, optionals and maps are stored as other protos than TensorProto.
  const other = [...inputs, ...outputs].find((v) => !v.type?.tensorType);
  if (other) {
    const kind = other.type?.sequenceType ? 'a sequence' : other.type?.optionalType ? 'an optional' : other.type?.mapType ? 'a map' : 'not a tensor';
    return { inputs: [], outputs: [], unreadable: `"${other.name}" is ${kind}, not a tensor` };
  }
  const inputNames = inputs.map((i) => i.name ?? '');
  const outputNames = outputs.map((o) => o.name ?? '');
  try {
    return {
      inputs: inputNames.map((name, i) => readTensor(join(dir, `input_${i}.pb`), name)),
      outputs: outputNames.map((name, i) => readTensor(join(dir, `output_${i}.pb`), name)),
    };
  } catch (error) {
    return { inputs: [], outputs: [], unreadable: (error as Error).message };
  }
}
