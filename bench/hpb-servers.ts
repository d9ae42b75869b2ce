// The servers of an HPB bench: the simulator (Talk with external signaling) and an HPB in its own
// process, the emulator or a user's real one (HPB_BIN / HPB_URL, src/node/hpb/real-server.ts), so
// that the HPB's own memory and CPU per session are measured the same way for both.

import { type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchHpb, type ProcessFigures, hpbProcessFigures, startRealHpb } from '../src/node/hpb/real-server.ts';
import { freePort } from '../src/node/stack/prometheus.ts';
import { startChild, startSimulator } from './child.ts';
import { cpuSeconds, openFiles, rssBytes } from './proc.ts';

const BIN = fileURLToPath(new URL('../bin/talkload.mjs', import.meta.url));

export type HpbKind = 'emulator' | 'real';

export interface HpbServers {
  readonly kind: HpbKind;
  /** What the HPB is, for the tables: the emulator, the binary, or the URL. */
  readonly label: string;
  readonly simUrl: string;
  readonly hpbUrl: string;
  readonly simPid: number;
  /** The HPB process's RSS, CPU seconds so far and open files (null: an HPB_URL without process metrics here). */
  hpbFigures(): Promise<ProcessFigures | null>;
  stop(): void;
}

const fromProc = (pid: number): ProcessFigures | null => {
  const rss = rssBytes(pid);
  return rss === 0 ? null : { rssBytes: rss, cpuSeconds: cpuSeconds(pid), openFiles: openFiles(pid) };
};

/** Starts the simulator and the HPB of `kind` (`real`: the one `target` names); `dir` holds their secret. */
export async function startHpbServers(kind: HpbKind, target: BenchHpb | null, dir: string): Promise<HpbServers> {
  if (kind === 'real' && target === null) throw new Error('no real HPB: set HPB_BIN or HPB_URL');
  const secretFile = join(dir, `hpb-secret-${kind}`);
  const url = kind === 'real' && target?.kind === 'url' ? target : null;
  const secret = url?.secret ?? randomBytes(24).toString('hex');
  writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
  const simPort = url?.backendPort ?? (await freePort());
  const hpbPort = url === null ? await freePort() : 0;
  const hpbUrl = url?.url ?? `http://127.0.0.1:${hpbPort}`;
  // The simulator first: the emulator checks its backend when it starts, a real HPB when a guest says hello.
  const sim = await startSimulator(['--port', String(simPort), '--signaling', 'external', '--hpb', hpbUrl, '--hpb-secret-file', secretFile]);
  let hpb: ChildProcess | null = null;
  let stopReal: (() => void) | null = null;
  try {
    if (kind === 'emulator') {
      hpb = (await startChild(process.execPath, [BIN, 'hpb', '--backend', sim.url, '--secret-file', secretFile, '--listen', `127.0.0.1:${hpbPort}`])).child;
    } else if (target?.kind === 'bin') {
      const real = await startRealHpb(target.bin, { port: hpbPort, backendUrl: sim.url, secret });
      hpb = real.child;
      stopReal = real.stop;
    }
  } catch (e) {
    sim.child.kill('SIGTERM');
    throw e;
  }
  const hpbPid = hpb?.pid;
  return {
    kind,
    label: kind === 'emulator' ? 'emulator' : target!.kind === 'bin' ? `real (HPB_BIN ${target!.bin})` : `real (HPB_URL ${hpbUrl})`,
    simUrl: sim.url,
    hpbUrl,
    simPid: sim.child.pid!,
    hpbFigures: async () => (hpbPid !== undefined ? fromProc(hpbPid) : hpbProcessFigures(hpbUrl)),
    stop: () => {
      sim.child.kill('SIGTERM');
      if (stopReal) stopReal();
      else hpb?.kill('SIGTERM');
    },
  };
}

/** The HPB kinds a bench measures: the emulator, and the real one beside it when one is configured (HPB_KINDS=emulator,real to choose). */
export function hpbKinds(target: BenchHpb | null, choice = process.env['HPB_KINDS'] ?? ''): HpbKind[] {
  if (choice === '') return target === null ? ['emulator'] : ['emulator', 'real'];
  const kinds = choice.split(',').map((k) => k.trim());
  for (const k of kinds) {
    if (k !== 'emulator' && k !== 'real') throw new Error(`HPB_KINDS: unknown kind ${k} (emulator, real)`);
    if (k === 'real' && target === null) throw new Error('HPB_KINDS names real: set HPB_BIN or HPB_URL');
  }
  return kinds as HpbKind[];
}

/** KiB of a byte count per session, and ms of CPU seconds per session, for the tables. */
export const perSession = (f0: ProcessFigures | null, f1: ProcessFigures | null, sessions: number): { kib: string; cpuMs: string; rssMiB: string } =>
  f0 === null || f1 === null || sessions === 0
    ? { kib: 'n/a', cpuMs: 'n/a', rssMiB: 'n/a' }
    : { kib: ((f1.rssBytes - f0.rssBytes) / sessions / 1024).toFixed(1), cpuMs: (((f1.cpuSeconds - f0.cpuSeconds) * 1000) / sessions).toFixed(2), rssMiB: (f1.rssBytes / 2 ** 20).toFixed(0) };
