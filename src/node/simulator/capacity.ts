// Capacity model: a php-fpm-like worker pool (N concurrent requests, the rest queue; long-polls
// hold their worker) and a CPU pool (C cores) that each request needs for its service time.
// Without it the simulator answers at once, which no real server does (reference 9b).

import { ENDPOINTS, isEndpointId, type EndpointId } from '../../shared/endpoints.ts';

export class Semaphore {
  private busy = 0;
  private readonly waiters: (() => void)[] = [];
  readonly size: number;
  constructor(size: number) {
    this.size = size;
  }

  acquire(): Promise<void> | null {
    if (this.busy < this.size) {
      this.busy++;
      return null;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.busy--;
  }

  get inUse(): number {
    return this.busy;
  }
  get queued(): number {
    return this.waiters.length;
  }
}

export interface CapacityConfig {
  readonly workers: number;
  readonly cores: number;
  /** Service time per endpoint, ms (CPU time the request needs). */
  readonly serviceMs: Readonly<Partial<Record<EndpointId, number>>>;
  readonly defaultServiceMs: number;
  /**
   * Spread of service times: sigma of a log-normal around the median above (0 = constant). A real
   * server's p95 is 1.5-3x its p50 even unloaded (issue 12: constant service times made every
   * simulated p95 equal its p50); 0.45 gives p95 = 2.1x p50.
   */
  readonly spread: number;
  /**
   * The database: `sqlite` answers a long-poll's check that meets a write under CPU contention with
   * "database is locked" (a 500, as the real SQLite run did for 38 of its 210 polls; the MariaDB run
   * for none). Default `mariadb`: no such errors.
   */
  readonly db?: 'sqlite' | 'mariadb';
}

/**
 * SQLite's lock errors, fitted to the real saturated SQLite run (shared/reference/realtalk-2026-12-06):
 * a poll's check fails when a write is in service while at least LOCK_CPU_QUEUE more requests wait
 * for a core (the writer, holding the database lock, waits for CPU; the poll's DELETE waits for the
 * writer past SQLite's busy timeout). 97 % of the real 500s ended within 0.3 s of a write; none
 * happened without load, so a request sequence never meets one.
 */
export const LOCK_CPU_QUEUE = 2;

/**
 * Measured on Nextcloud 29 + Talk 19, nginx + php-fpm (8 workers) + SQLite on 2 cores
 * (reference 9b): sequential medians per step; tops out near 72 requests/s. Capabilities, signaling
 * send were measured again against the same server (issue 12: 74-109 ms, 26-51 ms); room creation,
 * adding a participant and deleting a room from the saturated runs of 2026-12-06, where they ran idle.
 */
export const NC29_2CORE: CapacityConfig = {
  workers: 8,
  cores: 2,
  serviceMs: {
    capabilities: 75,
    room_join: 33,
    call_join: 27,
    call_flags: 22,
    call_peers: 18,
    call_leave: 28,
    room_leave: 23,
    room_get: 20,
    // Set-up and tear-down as the real server answered them idle (saturated-*/analysis.md of
    // shared/reference/realtalk-2026-12-06: p50 36-47 ms, 43 ms, 37-46 ms; issue 26).
    room_create: 45,
    room_add_participant: 45,
    room_delete: 42,
    room_participants: 20,
    signaling_settings: 15,
    signaling_poll: 8,
    signaling_send: 30,
  },
  defaultServiceMs: 20,
  spread: 0.45,
  // Reference 9b and the saturated SQLite run of 2026-12-06 were SQLite.
  db: 'sqlite',
};

/**
 * The same server as the real saturated runs of 2026-12-06 had it (shared/reference/
 * realtalk-2026-12-06): a CPU-bound process held one of its two cores, so PHP had one. Against it
 * the saturated shape matched the real MariaDB run in two runs of three (one or two 30 s stalls,
 * p50 of GET /call 0.6-0.7 s; docs/simulator.md); with both cores free the same load stalls more
 * (issue 26): requests get a worker sooner, before their room changed, and more workers hold
 * long-polls with nothing pending.
 */
export const NC29_1CORE: CapacityConfig = { ...NC29_2CORE, cores: 1 };

/** The same with MariaDB (the real MariaDB run of 2026-12-06): the same service times, no lock errors. */
export const NC29_1CORE_MARIADB: CapacityConfig = { ...NC29_1CORE, db: 'mariadb' };
export const NC29_2CORE_MARIADB: CapacityConfig = { ...NC29_2CORE, db: 'mariadb' };

const PRESETS: Readonly<Record<string, CapacityConfig>> = {
  'nc29-2core': NC29_2CORE,
  'nc29-1core': NC29_1CORE,
  'nc29-2core-mariadb': NC29_2CORE_MARIADB,
  'nc29-1core-mariadb': NC29_1CORE_MARIADB,
};

export class CapacityError extends Error {}

/**
 * `off`, `nc29-2core`, `nc29-1core`, or `workers=N,cores=C[,scale=X][,spread=S]` (scale multiplies the preset's
 * service times; spread is the log-normal sigma, default 0: constant, for comparable gate runs).
 */
export function parseCapacity(spec: string): CapacityConfig | null {
  const text = spec.trim();
  if (text === '' || text === 'off') return null;
  const preset = PRESETS[text];
  if (preset) return preset;
  let workers = NC29_2CORE.workers;
  let cores = NC29_2CORE.cores;
  let scale = 1;
  let spread = 0;
  let db: 'sqlite' | 'mariadb' = 'mariadb';
  // One endpoint's median service time in ms (call_join=30): a build in which it is slower or faster.
  const own: Partial<Record<EndpointId, number>> = {};
  for (const part of text.split(',')) {
    const [k = '', v = ''] = part.split('=');
    if (k === 'db') {
      if (v !== 'sqlite' && v !== 'mariadb') throw new CapacityError(`capacity db must be sqlite or mariadb, got "${v}"`);
      db = v;
      continue;
    }
    const n = Number(v);
    if (!/^\d+(\.\d+)?$/.test(v) || (n <= 0 && k !== 'spread')) throw new CapacityError(`capacity ${k} needs a positive number, got "${v}"`);
    if (k === 'workers') workers = Math.floor(n);
    else if (k === 'cores') cores = Math.floor(n);
    else if (k === 'scale') scale = n;
    else if (k === 'spread') {
      if (n > 2) throw new CapacityError(`capacity spread is a log-normal sigma from 0 to 2, got ${n}`);
      spread = n;
    } else if (isEndpointId(k)) own[k] = n;
    else throw new CapacityError(`unknown capacity setting "${k}" (off, ${Object.keys(PRESETS).join(', ')}, or workers=N,cores=C,scale=X,spread=S,db=sqlite|mariadb,ENDPOINT=MS)`);
  }
  const serviceMs: Partial<Record<EndpointId, number>> = {};
  for (const [id, ms] of Object.entries(NC29_2CORE.serviceMs)) serviceMs[id as EndpointId] = ms * scale;
  Object.assign(serviceMs, own);
  return { workers, cores, serviceMs, defaultServiceMs: NC29_2CORE.defaultServiceMs * scale, spread, db };
}

export class Capacity {
  readonly workers: Semaphore;
  readonly cpu: Semaphore;
  readonly config: CapacityConfig;
  private readonly random: () => number;
  private readonly carry = new Map<EndpointId | null, number>();
  constructor(config: CapacityConfig, random: () => number = Math.random) {
    this.config = config;
    this.random = random;
    this.workers = new Semaphore(config.workers);
    this.cpu = new Semaphore(config.cores);
  }

  /** Writes (every method but GET) in their service time now: SQLite's lock is held. */
  private writing = 0;

  /** Waits for a worker, then burns the endpoint's service time on a core. */
  async enter(id: EndpointId | null): Promise<void> {
    await this.workers.acquire();
    await this.cpu.acquire();
    const ms = this.timerMs(this.serviceMs(id), id);
    const write = id !== null && ENDPOINTS[id].method !== 'GET';
    if (write) this.writing++;
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (write) this.writing--;
    this.cpu.release();
  }

  /** Whether a database write now fails with "database is locked" (see LOCK_CPU_QUEUE). */
  dbLocked(): boolean {
    return this.config.db === 'sqlite' && this.writing > 0 && this.cpu.queued >= LOCK_CPU_QUEUE;
  }

  /** One request's service time: log-normal around the endpoint's median (Box-Muller, seeded). */
  serviceMs(id: EndpointId | null): number {
    const median = (id && this.config.serviceMs[id]) ?? this.config.defaultServiceMs;
    if (this.config.spread === 0) return median;
    const z = Math.sqrt(-2 * Math.log(1 - this.random())) * Math.cos(2 * Math.PI * this.random());
    return median * Math.exp(this.config.spread * z);
  }

  /**
   * Whole milliseconds to wait for a service time. Node's timers drop the fraction (29.7 waits 29),
   * which made every service time 0.5 ms short on average and a `call_join=29.7` build 7 %, not
   * 10 %, slower (issue 16). The fractions are carried over per endpoint (error diffusion), so the
   * mean is exact and no noise is added: 29.7 waits 29, 30, 30, 29, 30, ...
   */
  timerMs(ms: number, id: EndpointId | null = null): number {
    const carried = (this.carry.get(id) ?? 0) + ms;
    const whole = Math.floor(carried + 1e-9);
    this.carry.set(id, carried - whole);
    return whole;
  }

  leave(): void {
    this.workers.release();
  }
}
