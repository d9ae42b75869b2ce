// The `talkload` command: dispatches subcommands; turns errors into one line and an exit code.

import { simCommand } from '../simulator/cli.ts';
import { EXIT_CODES_HELP, RunError, UsageError } from '../exit-codes.ts';

type Command = (argv: string[]) => Promise<number>;

/** Every command, what it does (the help's list) and how to load it (only the one that runs). */
const COMMANDS: Readonly<Record<string, { readonly about: string; readonly load: () => Promise<Command> }>> = {
  sim: { about: 'run the embedded Nextcloud Talk simulator', load: async () => simCommand },
  hpb: { about: 'run an HPB (signaling server) emulator for external signaling', load: async () => (await import('../hpb/cli.ts')).hpbCommand },
  run: { about: 'run a k6 load test of the Talk call flow (default target: the embedded simulator)', load: async () => (await import('../run/command.ts')).runCommand },
  probe: { about: 'run the call journey continuously and export it to Prometheus', load: async () => (await import('../prober/command.ts')).probeCommand },
  stack: { about: 'start a local Prometheus for k6 remote write and the prober', load: async () => (await import('../stack/command.ts')).stackCommand },
  k8s: { about: 'write k6-operator manifests (ConfigMap + TestRun) for the same scenarios', load: async () => (await import('../k8s/command.ts')).k8sCommand },
  gate: { about: 'judge a run against budgets and a baseline (CI performance gate)', load: async () => (await import('../gate/command.ts')).gateCommand },
  compare: { about: 'A/B: the same workload against two targets in alternating rounds, B judged against A', load: async () => (await import('../compare/command.ts')).compareCommand },
  baseline: { about: 'accept a run as the baseline to commit', load: async () => (await import('../gate/command.ts')).baselineCommand },
  report: { about: "build a run's report.html again from its results folder", load: async () => (await import('../report/command.ts')).reportCommand },
};

const HELP = `Usage: talkload <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)}${c.about}`)
  .join('\n')}

Run "talkload <command> --help" for a command's options.

${EXIT_CODES_HELP}`;

async function loadCommand(name: string): Promise<Command | undefined> {
  return Object.hasOwn(COMMANDS, name) ? COMMANDS[name]!.load() : undefined;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP);
    return name === undefined ? 2 : 0;
  }
  const prefix = `talkload ${name}`;
  try {
    const command = await loadCommand(name);
    if (!command) throw new UsageError(`unknown command "${name}" (sim, hpb, run, probe, stack, k8s, gate, baseline, compare, report)`);
    return await command(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${prefix}: ${e.message}\n`);
      return 2;
    }
    if (e instanceof RunError) {
      process.stderr.write(`${prefix}: ${e.message}\n`);
      return e.exitCode;
    }
    // parseArgs errors are usage errors too; they carry a code.
    const code = (e as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${prefix}: ${(e as Error).message.split('\n')[0]}\n`);
      return 2;
    }
    process.stderr.write(`${prefix}: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = 1;
  },
);
