// k6-style durations (30s, 5m, 1h30m, 500ms) in seconds, for the k6 env reader and the Node CLI.

/** Seconds, or null when `text` is not a positive duration. */
export function durationSeconds(text: string): number | null {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    if (m.index !== consumed) break;
    consumed += m[0].length;
    const n = Number(m[1]);
    total += m[2] === 'ms' ? n / 1000 : m[2] === 's' ? n : m[2] === 'm' ? n * 60 : n * 3600;
  }
  return text === '' || consumed !== text.length || total <= 0 ? null : total;
}
