// Awaitable timers for the async journeys: k6's sleep() would block the VU's event loop, and with
// it the long-poll running beside the call actions.

import { setTimeout } from 'k6/timers';

/** The global looked up once per VU, not by name on every wait (see builtins.ts). */
const NativePromise = Promise;

export const delay = (ms: number): Promise<void> => new NativePromise((resolve) => setTimeout(resolve, ms));
