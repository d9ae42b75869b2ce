// Every command's --help text, in one place for docs/flags.md and the docs tests.

import { COMPARE_COMMAND } from '../compare/command.ts';
import { BASELINE_COMMAND, GATE_COMMAND } from '../gate/command.ts';
import { K8S_COMMAND } from '../k8s/command.ts';
import { PROBE_COMMAND } from '../prober/command.ts';
import { REPORT_COMMAND } from '../report/command.ts';
import { RUN_COMMAND } from '../run/plan.ts';
import { STACK_COMMAND } from '../stack/command.ts';
import { helpOf } from '../common/options.ts';
import { HPB_COMMAND } from '../hpb/cli.ts';
import { SIM_COMMAND } from '../simulator/cli.ts';

export const HELP_TEXTS: Readonly<Record<string, string>> = {
  run: helpOf(RUN_COMMAND),
  sim: helpOf(SIM_COMMAND),
  hpb: helpOf(HPB_COMMAND),
  probe: helpOf(PROBE_COMMAND),
  stack: helpOf(STACK_COMMAND),
  gate: helpOf(GATE_COMMAND),
  baseline: helpOf(BASELINE_COMMAND),
  compare: helpOf(COMPARE_COMMAND),
  report: helpOf(REPORT_COMMAND),
  k8s: helpOf(K8S_COMMAND),
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
