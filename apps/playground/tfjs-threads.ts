import type { Plugin } from 'vite';

/**
 * Lets tfjs-wasm's threaded build start its threads from a minified bundle. tfjs hands each
 * thread the Emscripten factory as source text (`factory.toString()`), so the factory must not
 * name anything outside itself. It names `_scriptDir`, a variable of the closure around it,
 * behind a `typeof` guard; the minifier renames that variable (`e`) and, seeing it declared,
 * drops the guard, and every thread then fails with "e is not defined". In a module worker the
 * variable is undefined anyway (no `document.currentScript`, no `__filename`), so its two uses
 * inside the factory are replaced by what they evaluate to.
 *
 * It also lets `setThreadsCount` ask for every logical core. The C++ side halves
 * `emscripten_num_logical_cores()` (a guess at physical cores) and caps any requested count at
 * that, so a 2-core machine got 1 thread whatever was asked; the factory's answer is doubled, so
 * the cap is the logical cores and the count the worker sets (src/logic/threads.ts) decides.
 */
export function tfjsThreadedWasm(): Plugin {
  return {
    name: 'xai:tfjs-threaded-wasm',
    transform(code, id) {
      if (!/tfjs-backend-wasm[\\/]wasm-out[\\/]tfjs-backend-wasm-threaded-simd\.js$/.test(id)) return null;
      const guarded = 'if(typeof _scriptDir !== "undefined" && _scriptDir){scriptDirectory=_scriptDir}';
      const fallback = '"urlOrBlob":Module["mainScriptUrlOrBlob"]||_scriptDir,';
      const cores = 'function _emscripten_num_logical_cores(){if(ENVIRONMENT_IS_NODE)return require("os").cpus().length;return navigator["hardwareConcurrency"]}';
      if (!code.includes(guarded) || !code.includes(fallback) || !code.includes(cores)) {
        this.error('tfjs-backend-wasm-threaded-simd.js changed: check what its factory names outside itself and how it counts cores before bundling it');
      }
      const patched = code
        .replace(guarded, '')
        .replace(fallback, '"urlOrBlob":Module["mainScriptUrlOrBlob"],')
        .replace(cores, 'function _emscripten_num_logical_cores(){return 2*navigator["hardwareConcurrency"]}');
      return { code: patched, map: null };
    },
  };
}
