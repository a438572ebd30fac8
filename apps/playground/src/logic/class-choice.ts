/** Above this many classes, RISE keeps the most probable ones only (its memory is classes × pixels). */
export const MAX_RISE_CLASSES = 16;

/**
 * The classes RISE scores: the asked-for one first, then (when every class's map is wanted) the
 * others from most to least probable, at most `MAX_RISE_CLASSES` in all.
 */
export function riseClasses(classIndex: number, ranked: readonly number[], allClasses: boolean): number[] {
  if (!allClasses) return [classIndex];
  return [classIndex, ...ranked.filter((i) => i !== classIndex)].slice(0, MAX_RISE_CLASSES);
}
