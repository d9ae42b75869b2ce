// Capacity model: a php-fpm-like worker pool (N concurrent requests, the rest queue; long-polls
// hold their worker) and a CPU pool (C cores) that each request needs for its service time.
// Without it the simulator answers at once, which no real server does (reference 9b).

import type { EndpointId } from '../../shared/endpoints.ts';

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
}

/**
 * Measured on Nextcloud 29 + Talk 19, nginx + php-fpm (8 workers) + SQLite on 2 cores
 * (reference 9b): sequential medians per step; tops out near 72 requests/s.
 */
export const NC29_2CORE: CapacityConfig = {
  workers: 8,
  cores: 2,
  serviceMs: {
    capabilities: 15,
    room_join: 33,
    call_join: 27,
    call_flags: 22,
    call_peers: 18,
    call_leave: 28,
    room_leave: 23,
    room_get: 20,
    room_create: 40,
    room_participants: 20,
    signaling_settings: 15,
    signaling_poll: 8,
    signaling_send: 10,
  },
  defaultServiceMs: 20,
};

export class CapacityError extends Error {}

/** `off`, `nc29-2core`, or `workers=N,cores=C[,scale=X]` (scale multiplies the preset's service times). */
export function parseCapacity(spec: string): CapacityConfig | null {
  const text = spec.trim();
  if (text === '' || text === 'off') return null;
  if (text === 'nc29-2core') return NC29_2CORE;
  let workers = NC29_2CORE.workers;
  let cores = NC29_2CORE.cores;
  let scale = 1;
  for (const part of text.split(',')) {
    const [k, v = ''] = part.split('=');
    const n = Number(v);
    if (!/^\d+(\.\d+)?$/.test(v) || n <= 0) throw new CapacityError(`capacity ${k} needs a positive number, got "${v}"`);
    if (k === 'workers') workers = Math.floor(n);
    else if (k === 'cores') cores = Math.floor(n);
    else if (k === 'scale') scale = n;
    else throw new CapacityError(`unknown capacity setting "${k}" (off, nc29-2core, or workers=N,cores=C,scale=X)`);
  }
  const serviceMs: Partial<Record<EndpointId, number>> = {};
  for (const [id, ms] of Object.entries(NC29_2CORE.serviceMs)) serviceMs[id as EndpointId] = ms * scale;
  return { workers, cores, serviceMs, defaultServiceMs: NC29_2CORE.defaultServiceMs * scale };
}

export class Capacity {
  readonly workers: Semaphore;
  readonly cpu: Semaphore;
  readonly config: CapacityConfig;
  constructor(config: CapacityConfig) {
    this.config = config;
    this.workers = new Semaphore(config.workers);
    this.cpu = new Semaphore(config.cores);
  }

  /** Waits for a worker, then burns the endpoint's service time on a core. */
  async enter(id: EndpointId | null): Promise<void> {
    await this.workers.acquire();
    await this.cpu.acquire();
    const ms = (id && this.config.serviceMs[id]) ?? this.config.defaultServiceMs;
    await new Promise((resolve) => setTimeout(resolve, ms));
    this.cpu.release();
  }

  leave(): void {
    this.workers.release();
  }
}
