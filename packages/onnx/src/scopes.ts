import type { GraphNode } from './ir.js';

/**
 * PyTorch module paths from ONNX node names. torch ≥ 1.13 names nodes after the module scopes
 * they ran in: `/layer4/layer4.1/relu_1/Relu` ran in `layer4` → `layer4.1` → `layer4.1.relu_1`
 * (a segment repeats its parent's path as a prefix; `_1` marks a module's second call).
 */
export function modulePaths(nodeName: string): string[] {
  if (!nodeName.startsWith('/')) return [];
  const segments = nodeName.split('/').slice(1, -1).filter(Boolean);
  const paths: string[] = [];
  let path = '';
  let previous = '';
  for (const segment of segments) {
    const local = previous && segment.startsWith(`${previous}.`) ? segment.slice(previous.length + 1) : segment;
    path = path ? `${path}.${local}` : local;
    paths.push(path);
    previous = segment;
  }
  return paths;
}

/**
 * Each module path → the tensors its nodes produce that are read outside it (or are graph
 * outputs), in execution order: the module's output(s).
 */
export function moduleOutputs(nodes: readonly GraphNode[], graphOutputs: readonly string[]): Map<string, string[]> {
  const scopeOf = new Map<string, string[]>(); // value → the scopes of its producer
  const members = new Map<string, string[]>(); // path → values produced inside, in order
  for (const n of nodes) {
    const paths = modulePaths(n.name);
    for (const o of n.outputs) {
      if (!o) continue;
      scopeOf.set(o, paths);
      for (const p of paths) members.set(p, [...(members.get(p) ?? []), o]);
    }
  }
  const readers = new Map<string, string[][]>(); // value → scopes of each reader
  for (const n of nodes) {
    const paths = modulePaths(n.name);
    for (const i of n.inputs) if (i) readers.set(i, [...(readers.get(i) ?? []), paths]);
  }
  const outputs = new Set(graphOutputs);
  const result = new Map<string, string[]>();
  for (const [path, values] of members) {
    const leaving = values.filter(
      (v) => outputs.has(v) || (readers.get(v) ?? []).some((readerPaths) => !readerPaths.includes(path)),
    );
    if (leaving.length > 0) result.set(path, leaving);
  }
  return result;
}
