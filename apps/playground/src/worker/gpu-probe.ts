const SOFTWARE = /swiftshader|llvmpipe|softpipe|software|microsoft basic render/i;

/**
 * For `webgpu` and `webgl`: the name of the software renderer behind it, or undefined when it
 * runs on a real GPU (or is missing, which the backend selection reports itself).
 */
export async function softwareGpu(backend: string): Promise<string | undefined> {
  try {
    if (backend === 'webgpu') return await webgpuSoftware();
    if (backend === 'webgl') return webglSoftware();
  } catch {
    // A probe that fails says nothing; the backend's own initialisation decides.
  }
  return undefined;
}

interface AdapterLike {
  isFallbackAdapter?: boolean;
  info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
}

async function webgpuSoftware(): Promise<string | undefined> {
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<AdapterLike | null> } }).gpu;
  const adapter = await gpu?.requestAdapter();
  if (!adapter) return undefined;
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ');
  if (SOFTWARE.test(name)) return name;
  if (adapter.isFallbackAdapter || info.isFallbackAdapter) return name || 'fallback adapter';
  return undefined;
}

function webglSoftware(): string | undefined {
  if (typeof OffscreenCanvas === 'undefined') return undefined;
  const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
  if (!gl) return undefined;
  const debug = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return SOFTWARE.test(renderer) ? renderer : undefined;
}
