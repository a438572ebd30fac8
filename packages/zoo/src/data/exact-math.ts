/**
 * Sine and cosine from + and × only. `Math.sin`/`Math.cos` are not required to be correctly
 * rounded, so engines may differ in the last bit, and a different last bit can flip a rounded
 * pixel. These polynomials give the same doubles on every engine, which keeps generated images
 * byte-identical in Node and in every browser. Accuracy (~1e-15) is far beyond what drawing needs.
 */

const HALF_PI = Math.PI / 2;
const TWO_PI = 2 * Math.PI;

/** sin(x) for |x| ≤ π/4 (Taylor terms to x^15). */
function sinKernel(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n <= 7; n++) {
    term = (-term * x2) / ((2 * n) * (2 * n + 1));
    sum += term;
  }
  return sum;
}

/** cos(x) for |x| ≤ π/4 (Taylor terms to x^16). */
function cosKernel(x: number): number {
  const x2 = x * x;
  let term = 1;
  let sum = 1;
  for (let n = 1; n <= 8; n++) {
    term = (-term * x2) / ((2 * n - 1) * (2 * n));
    sum += term;
  }
  return sum;
}

/** [sin(x), cos(x)], identical on every JavaScript engine. */
export function sinCos(x: number): [number, number] {
  let r = x - TWO_PI * Math.floor(x / TWO_PI);
  const quadrant = Math.round(r / HALF_PI);
  r -= quadrant * HALF_PI;
  const s = sinKernel(r);
  const c = cosKernel(r);
  switch (quadrant & 3) {
    case 0:
      return [s, c];
    case 1:
      return [c, -s];
    case 2:
      return [-s, -c];
    default:
      return [-c, s];
  }
}
