// The simulator's access log, in the columns of the nginx log of the real saturated runs
// (shared/reference/realtalk-2026-12-06/*/signaling-and-call-requests.csv), so that one analysis
// (access-stats.ts) reads a real server's requests and the simulator's alike (issue 26).

import { createWriteStream, openSync, closeSync, type WriteStream } from 'node:fs';

export const ACCESS_LOG_HEADER = 'start_unix,end_unix,start_s_from_run_start,duration_s,status,method,endpoint,path';
const OCS_PREFIX = '/ocs/v2.php/apps/spreed/api/';

export class AccessLog {
  private readonly out: WriteStream;
  private readonly originMs: number;
  readonly file: string;

  /** Opens (truncates) the file at once, so that a bad path is an error before any load. */
  constructor(file: string, originMs = Date.now()) {
    this.file = file;
    closeSync(openSync(file, 'w'));
    this.out = createWriteStream(file, { flags: 'a' });
    this.originMs = originMs;
    this.out.write(`${ACCESS_LOG_HEADER}\n`);
  }

  /**
   * One finished request. `startMs` is when it arrived (as nginx's `$request_time` counts, the wait
   * for a worker included); status 499 for a connection that closed before an answer, as nginx logs it.
   */
  record(startMs: number, endMs: number, status: number, method: string, endpoint: string, urlPath: string): void {
    const path = urlPath.startsWith(OCS_PREFIX) ? urlPath.slice(OCS_PREFIX.length) : urlPath;
    this.out.write(
      `${(startMs / 1000).toFixed(3)},${(endMs / 1000).toFixed(3)},${((startMs - this.originMs) / 1000).toFixed(3)},` +
        `${((endMs - startMs) / 1000).toFixed(3)},${status},${method},${endpoint},${path.replace(/[,\n]/g, '_')}\n`,
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(() => resolve()));
  }
}
