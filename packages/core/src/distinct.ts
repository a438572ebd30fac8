/** Rows of equal bytes grouped: each row's group, and the first row of each group. */
export interface DistinctRows {
  /** The first row of each group, in row order: the rows that need computing. */
  representatives: number[];
  /** For every row, the index into `representatives` of its group. */
  groupOf: Int32Array;
  /** How many rows each group holds. */
  sizes: Int32Array;
}

/**
 * Groups the rows of a row-major `[rows, rowLength]` array that are byte-identical, so work that
 * depends only on a row (a forward pass of the input it makes) is done once per group. Bytes,
 * not values, decide: 0 and −0 stay apart, and equal NaNs group.
 */
export function distinctRows(values: Float32Array, rowLength: number): DistinctRows {
  const rows = rowLength === 0 ? 0 : values.length / rowLength;
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  // Rows are bucketed by a hash of their bits, then compared in full within a bucket.
  const buckets = new Map<number, number[]>();
  const representatives: number[] = [];
  const groupOf = new Int32Array(rows);
  const counts: number[] = [];
  const sameRow = (a: number, b: number) => {
    for (let i = 0; i < rowLength; i++) if (bits[a * rowLength + i] !== bits[b * rowLength + i]) return false;
    return true;
  };
  for (let row = 0; row < rows; row++) {
    const hash = rowHash(bits, row * rowLength, rowLength);
    const bucket = buckets.get(hash) ?? [];
    let group = bucket.find((g) => sameRow(representatives[g], row));
    if (group === undefined) {
      group = representatives.length;
      bucket.push(group);
      buckets.set(hash, bucket);
      representatives.push(row);
      counts.push(0);
    }
    groupOf[row] = group;
    counts[group]++;
  }
  return { representatives, groupOf, sizes: Int32Array.from(counts) };
}

/** FNV-1a over the words of one row. */
function rowHash(bits: Uint32Array, start: number, length: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < start + length; i++) {
    hash ^= bits[i];
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
