/** Bytes as a `data:` URI (base64), with no dependency on Node's Buffer. */
export function dataUri(bytes: Uint8Array, mediaType: string): string {
  let binary = '';
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) {
    binary += String.fromCharCode(...bytes.subarray(i, i + step));
  }
  return `data:${mediaType};base64,${btoa(binary)}`;
}
