// The fixed, seeded workload that `npm run gate` runs and the gate's self-test repeats: 10 guests
// in two calls of 5, on the simulator with a realistic service time per endpoint (so latencies are
// tens of ms, as on a small server, and a 30 % slowdown stands out of the noise).
export const GATE_WORKLOAD = [
  '--profile', 'smoke',
  '--guests', '10',
  '--call-size', '5',
  '--duration', '12s',
  '--stay', '8s',
  '--flags-every', '3s',
  '--peers-every', '2s',
  '--seed', '42',
  '--sim-capacity', 'workers=64,cores=16',
];

// The A/B form of the gate (`talkload compare`): short rounds of the same shape, six a side, each
// pair at the same time (two simulators on one machine, under the same load), so that the whole
// job stays within 90 s on two busy cores.
export const GATE_COMPARE = [
  '--rounds', '6',
  '--schedule', 'together',
  '--guests', '10',
  '--call-size', '5',
  '--duration', '4s',
  '--stay', '1s',
  '--flags-every', '0.5s',
  '--peers-every', '0.5s',
  '--seed', '42',
  '--sim-capacity', 'workers=64,cores=16',
];
