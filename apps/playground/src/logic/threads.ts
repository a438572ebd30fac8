/** At most this many wasm threads (tfjs's own cap; its build starts 8 thread workers). */
export const MAX_WASM_THREADS = 8;

const whole = (n: number | undefined): n is number => Number.isInteger(n) && (n as number) >= 1;

/**
 * Threads for wasm, tfjs's and onnxruntime-web's alike. Threads need SharedArrayBuffer, so 1
 * unless the page is cross-origin isolated; then `asked` (the `?threads=` of the URL) when it is
 * a whole number from 1, else every logical core; at most `MAX_WASM_THREADS` either way. (tfjs's
 * own rule, half the cores, leaves one of two cores idle.)
 */
export function wasmThreads(crossOriginIsolated: boolean, cores: number | undefined, asked?: number): number {
  if (!crossOriginIsolated) return 1;
  const count = whole(asked) ? asked : whole(cores) ? cores : 1;
  return Math.min(count, MAX_WASM_THREADS);
}

/**
 * Web Workers for the black-box passes of tfjs models (`src/worker/pool.ts`): undefined when the
 * page is cross-origin isolated, where wasm's threads use the cores already; else `asked` (the
 * `?workers=` of the URL) when it is a whole number from 1, else every logical core; at most `max`
 * (the pool's MAX_WORKERS).
 */
export function poolWorkers(crossOriginIsolated: boolean, cores: number | undefined, max: number, asked?: number): number | undefined {
  if (crossOriginIsolated) return undefined;
  const count = whole(asked) ? asked : whole(cores) ? cores : 1;
  return Math.min(count, max);
}
