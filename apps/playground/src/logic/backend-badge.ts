import type { BackendInfo } from '../protocol.js';

/** The backend badge: `wasm · SIMD · 2 threads`, or the backend's id for the GPU backends. */
export function backendBadge(info: BackendInfo): string {
  if (info.id !== 'wasm' || !info.wasm) return info.id;
  const parts = ['wasm', info.wasm.simd ? 'SIMD' : 'no SIMD', info.wasm.threads > 1 ? `${info.wasm.threads} threads` : '1 thread'];
  return parts.join(' · ');
}

/** The lines behind the badge: the binary, isolation, and why better backends were passed over. */
export function backendNotes(info: BackendInfo): string[] {
  const notes: string[] = [];
  if (info.wasm) {
    notes.push(`wasm binary: ${info.wasm.binary}`);
    if (info.crossOriginIsolated) notes.push(`threads: ${info.wasm.threads} (tfjs uses half of the ${info.wasm.cores} logical cores, at most 8)`);
  }
  notes.push(
    info.crossOriginIsolated
      ? 'cross-origin isolated: wasm may use threads'
      : 'not cross-origin isolated (the server sends no COOP/COEP headers): wasm runs on one thread',
  );
  for (const s of info.skipped) notes.push(`${s.id} passed over: ${s.reason}`);
  if (info.skipped.length === 0) notes.push('first choice');
  return notes;
}
