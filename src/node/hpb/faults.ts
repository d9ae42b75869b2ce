// Faults of the HPB emulator (`--hpb-fault`): what a misbehaving HPB does to a Talk call.

export interface HpbFaults {
  /** Send no ping batches to Talk (its sessions then drop out of `GET /call` after 30 s). */
  dropPings?: boolean;
  /** Delay every event fan-out by this many ms. */
  fanoutDelayMs?: number;
  /** Drop each client's connection (no close frame) this many ms after it joined a room. */
  closeAfterMs?: number;
  /** Send no welcome on a new connection (an HPB older than the welcome; the web client then waits 3 s). */
  noWelcome?: boolean;
}

export class HpbFaultError extends Error {}

/** `drop-pings`, `fanout-delay:MS`, `close:MS`, `no-welcome` (repeatable, or ';'-separated). */
export function parseHpbFaults(specs: readonly string[]): HpbFaults {
  const faults: HpbFaults = {};
  const ms = (v: string | undefined, what: string): number => {
    const n = Number(v);
    if (v === undefined || v === '' || !Number.isInteger(n) || n < 0 || n > 600_000) throw new HpbFaultError(`${what} needs milliseconds 0-600000, got "${v ?? ''}"`);
    return n;
  };
  for (const spec of specs.flatMap((s) => s.split(';')).map((s) => s.trim()).filter(Boolean)) {
    const [name, arg] = spec.split(':', 2);
    if (name === 'drop-pings' && arg === undefined) faults.dropPings = true;
    else if (name === 'fanout-delay') faults.fanoutDelayMs = ms(arg, 'fanout-delay');
    else if (name === 'close') faults.closeAfterMs = ms(arg, 'close');
    else if (name === 'no-welcome' && arg === undefined) faults.noWelcome = true;
    else throw new HpbFaultError(`unknown HPB fault "${spec}" (drop-pings, fanout-delay:MS, close:MS, no-welcome)`);
  }
  return faults;
}
