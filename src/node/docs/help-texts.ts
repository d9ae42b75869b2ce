// Every command's --help text, in one place for docs/flags.md and the docs tests.

import { COMPARE_HELP } from '../compare/command.ts';
import { BASELINE_HELP, GATE_HELP } from '../gate/command.ts';
import { K8S_HELP } from '../k8s/command.ts';
import { PROBE_HELP } from '../prober/command.ts';
import { REPORT_HELP } from '../report/command.ts';
import { RUN_HELP } from '../run/command.ts';
import { STACK_HELP } from '../stack/command.ts';
import { HPB_HELP } from '../hpb/cli.ts';
import { SIM_HELP } from '../simulator/cli.ts';

export const HELP_TEXTS: Readonly<Record<string, string>> = {
  run: RUN_HELP,
  sim: SIM_HELP,
  hpb: HPB_HELP,
  probe: PROBE_HELP,
  stack: STACK_HELP,
  gate: GATE_HELP,
  baseline: BASELINE_HELP,
  compare: COMPARE_HELP,
  report: REPORT_HELP,
  k8s: K8S_HELP,
};

/** The flags a help text lists (`--name` at the start of an option line, or after a comma). */
export function flagsOf(help: string): string[] {
  const out = new Set<string>();
  for (const line of help.split('\n')) {
    if (!/^\s{2,}--/.test(line)) continue;
    const spec = line.trim().split(/\s{2,}/)[0] ?? '';
    for (const m of spec.matchAll(/--[a-z0-9][a-z0-9-]*/g)) out.add(m[0]);
  }
  return [...out].sort();
}

/** docs/flags.md: every command's --help as it prints it. */
export function flagsPage(exitCodes: string): string {
  const parts = ['# Flags of every command', '', '[Back to the README](../README.md)', '', 'Generated from the commands themselves (`npm run docs`; a test fails when this page is not current).', ''];
  for (const [name, help] of Object.entries(HELP_TEXTS)) parts.push(`## talkload ${name}`, '', '```', help.trimEnd(), '```', '');
  parts.push('## Exit codes', '', '```', exitCodes.trimEnd(), '```', '');
  return parts.join('\n');
}
