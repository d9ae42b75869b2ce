// The `talkload` command: dispatches subcommands; turns errors into one line and an exit code.

import { simCommand } from '../simulator/cli.ts';
import { EXIT_CODES_HELP, RunError, UsageError } from '../exit-codes.ts';

const HELP = `Usage: talkload <command> [options]

Commands:
  sim       run the embedded Nextcloud Talk simulator
  hpb       run an HPB (signaling server) emulator for external signaling
  run       run a k6 load test of the Talk call flow (default target: the embedded simulator)
  probe     run the call journey continuously and export it to Prometheus
  stack     start a local Prometheus for k6 remote write and the prober
  k8s       write k6-operator manifests (ConfigMap + TestRun) for the same scenarios
  gate      judge a run against budgets and a baseline (CI performance gate)
  compare   A/B: the same workload against two targets in alternating rounds, B judged against A
  baseline  accept a run as the baseline to commit
  report    build a run's report.html again from its results folder

Run "talkload <command> --help" for a command's options.

${EXIT_CODES_HELP}`;

type Command = (argv: string[]) => Promise<number>;

async function loadCommand(name: string): Promise<Command | undefined> {
  switch (name) {
    case 'sim':
      return simCommand;
    case 'hpb':
      return (await import('../hpb/cli.ts')).hpbCommand;
    case 'run':
      return (await import('../run/command.ts')).runCommand;
    case 'probe':
      return (await import('../prober/command.ts')).probeCommand;
    case 'stack':
      return (await import('../stack/command.ts')).stackCommand;
    case 'k8s':
      return (await import('../k8s/command.ts')).k8sCommand;
    case 'gate':
      return (await import('../gate/command.ts')).gateCommand;
    case 'baseline':
      return (await import('../gate/command.ts')).baselineCommand;
    case 'compare':
      return (await import('../compare/command.ts')).compareCommand;
    case 'report':
      return (await import('../report/command.ts')).reportCommand;
    default:
      return undefined;
  }
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
