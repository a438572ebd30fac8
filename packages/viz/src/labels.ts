/** `tabby (281)`, or `class 281` without a name; `p = 0.873` appended when a probability is known. */
export function classLabel(classIndex: number | undefined, className?: string, probability?: number): string {
  const name =
    className !== undefined && className !== '' ? (classIndex !== undefined ? `${className} (${classIndex})` : className)
    : classIndex !== undefined ? `class ${classIndex}`
    : '';
  const p = probability !== undefined && Number.isFinite(probability) ? `p = ${probability.toFixed(3)}` : '';
  return [name, p].filter(Boolean).join(', ');
}

/**
 * A number for an axis tick or a colour bar: short, without trailing zeros. Given the span of the
 * axis, a value that is zero up to rounding (e.g. 2e-9 on a 0–1 axis) reads as 0.
 */
export function formatTick(value: number, span = 0): string {
  if (value === 0 || Math.abs(value) < span * 1e-6) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e4 || magnitude < 1e-3) return value.toExponential(1).replace('e+', 'e');
  return String(Number(value.toPrecision(3)));
}

export function formatAuc(auc: number): string {
  return Number.isFinite(auc) ? auc.toFixed(3) : 'n/a';
}
