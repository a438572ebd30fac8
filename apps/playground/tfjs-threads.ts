import type { Plugin } from 'vite';

/**
 * Lets tfjs-wasm's threaded build start its threads from a minified bundle. tfjs hands each
 * thread the Emscripten factory as source text (`factory.toString()`), so the factory must not
 * name anything outside itself. It names `_scriptDir`, a variable of the closure around it,
 * behind a `typeof` guard; the minifier renames that variable (`e`) and, seeing it declared,
 * drops the guard, and every thread then fails with "e is not defined". In a module worker the
 * variable is undefined anyway (no `document.currentScript`, no `__filename`), so its two uses
 * inside the factory are replaced by what they evaluate to.
 */
export function tfjsThreadedWasm(): Plugin {
  return {
    name: 'xai:tfjs-threaded-wasm',
    transform(code, id) {
      if (!/tfjs-backend-wasm[\\/]wasm-out[\\/]tfjs-backend-wasm-threaded-simd\.js$/.test(id)) return null;
      const guarded = 'if(typeof _scriptDir !== "undefined" && _scriptDir){scriptDirectory=_scriptDir}';
      const fallback = '"urlOrBlob":Module["mainScriptUrlOrBlob"]||_scriptDir,';
      if (!code.includes(guarded) || !code.includes(fallback)) {
        this.error('tfjs-backend-wasm-threaded-simd.js changed: check what its factory names outside itself before bundling it');
      }
      return { code: code.replace(guarded, '').replace(fallback, '"urlOrBlob":Module["mainScriptUrlOrBlob"],'), map: null };
    },
  };
}
