// The engine's built-ins that the journeys call on every request, looked up once per VU (issue 29).
// `Date.now()` is two lookups by name in k6's JS engine on every call (the global `Date`, then its
// property `now`), a module constant is an index. Side by side in bench:overhead, ten property reads
// more per prepared request cost 1.3 % per request and twenty more plain steps nothing measurable:
// in a VU that shares two cores with forty others a lookup by name costs about a microsecond.
// None of these reads `this`, so they are called detached.

export const now: () => number = Date.now;
export const { min, round } = Math;
export const mathRandom: () => number = Math.random;
