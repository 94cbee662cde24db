/**
 * Edit distance between two words, behind every "did you mean" suggestion (unknown template
 * keys and step names, unregistered handler callables).
 *
 * @module
 */

/** What {@link editDistance} counts as one edit. */
export interface EditDistanceOptions {
  /**
   * Count a swap of two neighbouring characters as one edit (optimal string alignment) rather
   * than two (Levenshtein). Default true: a swap is the most common typo.
   */
  transpositions?: boolean;
}

/**
 * The number of single-character insertions, deletions and substitutions (and, unless turned
 * off, swaps of neighbours) that turn `left` into `right`. Case-sensitive: lower-case both for a
 * case-insensitive distance.
 *
 * @param left one word
 * @param right the other word
 * @param options whether a swap of neighbours counts as one edit
 * @returns the distance, 0 when the words are equal
 *
 * @example
 * ```ts
 * import { editDistance } from "./edit_distance.ts";
 * console.log(editDistance("depnds_on", "depends_on")); // 1
 * console.log(editDistance("stpes", "steps")); // 1
 * console.log(editDistance("stpes", "steps", { transpositions: false })); // 2
 * ```
 */
export function editDistance(
  left: string,
  right: string,
  options: EditDistanceOptions = {},
): number {
  const transpositions = options.transpositions ?? true;
  // Three rows suffice: the current one, the one above, and the one above that for swaps.
  let twoAbove: number[] = [];
  let above = Array.from({ length: right.length + 1 }, (_, j) => j);
  for (let i = 1; i <= left.length; i++) {
    const row = [i];
    for (let j = 1; j <= right.length; j++) {
      const cost = left[i - 1] === right[j - 1] ? 0 : 1;
      let best = Math.min(above[j]! + 1, row[j - 1]! + 1, above[j - 1]! + cost);
      if (
        transpositions && i > 1 && j > 1 && left[i - 1] === right[j - 2] &&
        left[i - 2] === right[j - 1]
      ) {
        best = Math.min(best, twoAbove[j - 2]! + 1);
      }
      row.push(best);
    }
    twoAbove = above;
    above = row;
  }
  return above[right.length]!;
}
