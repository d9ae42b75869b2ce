// The chat beside the call (`--chat`), as the web client keeps it: history once, then a long-poll
// for new messages (`lookIntoFuture=1`) for the whole stay, and a message now and then. On a real
// server that long-poll holds one more PHP worker per guest, like the signaling one.

import { Timeouts } from '../../shared/constants.ts';
import { newestMessageId } from '../../shared/ocs.ts';
import { delay } from './timers.ts';
import type { TalkClient, TalkResponse } from './talk-client.ts';

export interface Chat {
  /** Posts one message (the stay's chat timer). */
  post(): Promise<void>;
  /** Ends when the long-poll loop has stopped, at the guest's leave time. */
  readonly done: Promise<void>;
}

/**
 * Starts the chat of one guest. The long-poll asks the server to hold it no longer than the time left
 * in the stay, so that the last one returns when the guest leaves (a k6 request cannot be cancelled,
 * and a real server keeps a chat poll to its timeout even after the session left).
 */
export function startChat(c: TalkClient, token: string, leaveAt: number, alsoExpect: readonly number[]): Chat {
  let posted = 0;
  const loop = async (): Promise<void> => {
    const history = await c.callAsync('chat_receive', { token, params: { lookIntoFuture: 0, limit: 100 }, keepBody: true, alsoExpect });
    let known = newestMessageId(history.body, 0);
    let failures = 0;
    while (Date.now() < leaveAt - 1000) {
      const timeout = Math.min(Timeouts.signalingPullSeconds, Math.floor((leaveAt - Date.now()) / 1000));
      const r: TalkResponse = await c.callAsync('chat_receive', {
        token,
        params: { lookIntoFuture: 1, lastKnownMessageId: known, timeout, limit: 100 },
        keepBody: true,
        alsoExpect,
        timeoutMs: Timeouts.signalingPollTimeoutSeconds * 1000,
      });
      if (r.status === 200) known = newestMessageId(r.body, known);
      if (r.status === 200 || r.status === 304) {
        failures = 0;
        continue;
      }
      // As the web client: retry after a pause, give up after many failures in a row.
      if (++failures >= 30) return;
      await delay(Math.min(10_000, Math.max(0, leaveAt - Date.now())));
    }
  };
  return {
    post: async () => {
      await c.callAsync('chat_send', { token, params: { message: `talkload message ${++posted}` }, alsoExpect });
    },
    done: loop(),
  };
}
