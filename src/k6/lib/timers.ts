// Awaitable timers for the async journeys: k6's sleep() would block the VU's event loop, and with
// it the long-poll running beside the call actions.

import { setTimeout } from 'k6/timers';

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
