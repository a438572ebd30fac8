/** Above this many classes, only the most probable get a map (the memory is classes × pixels). */
export const MAX_CLASS_MAPS = 16;

/**
 * The classes a method that maps every class at once scores: the asked-for one first, then (when
 * every class's map is wanted) the others from most to least probable, at most `MAX_CLASS_MAPS`.
 */
export function explainedClasses(classIndex: number, ranked: readonly number[], allClasses: boolean): number[] {
  if (!allClasses) return [classIndex];
  return [classIndex, ...ranked.filter((i) => i !== classIndex)].slice(0, MAX_CLASS_MAPS);
}
