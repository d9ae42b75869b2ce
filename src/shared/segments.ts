// k6 execution segments: N equal parts of the load, as `talkload run --instances N` and the
// k6-operator (parallelism N) split it. Runtime-neutral.

/** `0,1/3,2/3,1` */
export function segmentSequence(n: number): string {
  return ['0', ...Array.from({ length: n - 1 }, (_, i) => `${i + 1}/${n}`), '1'].join(',');
}

/** The i-th of n segments, `1/3:2/3` (0-based i). */
export function segment(i: number, n: number): string {
  const at = (k: number): string => (k === 0 ? '0' : k === n ? '1' : `${k}/${n}`);
  return `${at(i)}:${at(i + 1)}`;
}

/** Parses `a/b` or an integer into a fraction [numerator, denominator]. */
export function fraction(text: string): [number, number] {
  const [a = '', b = '1'] = text.split('/');
  return [Number(a), Number(b)];
}
