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
  const groups = new Map<string, number>();
  const representatives: number[] = [];
  const groupOf = new Int32Array(rows);
  const counts: number[] = [];
  for (let row = 0; row < rows; row++) {
    const key = bits.subarray(row * rowLength, (row + 1) * rowLength).join(',');
    let group = groups.get(key);
    if (group === undefined) {
      group = representatives.length;
      groups.set(key, group);
      representatives.push(row);
      counts.push(0);
    }
    groupOf[row] = group;
    counts[group]++;
  }
  return { representatives, groupOf, sizes: Int32Array.from(counts) };
}
