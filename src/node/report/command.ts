// `talkload report RESULTS_DIR`: (re)builds report.html from a results folder's summary.json and
// raw samples; `talkload run` writes the same page at the end of every run.

import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { HELD_ENDPOINT_IDS } from '../../shared/endpoints.ts';
import { UsageError } from '../common/usage.ts';
import { type CommandDecl, type OptionDecl, parseCommand } from '../common/options.ts';
import { checkSummaryFields, readJson } from '../gate/gate.ts';
import { SUMMARY_SCHEMA, aggregateSamples, incompleteText, type RawAggregate, type RunSummary } from '../run/results.ts';
import { reportHtml } from './html.ts';
import { readTimeline } from './timeline.ts';

export const REPORT_COMMAND = {
  about: `Usage: talkload report RESULTS_DIR

Builds RESULTS_DIR/report.html again from the run's summary.json and raw samples
(samples.csv.gz, or samples-N.csv.gz of a run over several k6 processes): the verdict, each
endpoint over time (rate, p50/p95/p99, statuses by code), long-polls apart, stalls shaded, the
guests, the journey funnel, HPB steps; one self-contained file, each chart with its numbers.
Samples that are cut short or unreadable are refused (exit 2), except for an interrupted run.`,
  column: 2,
  positionals: true,
  options: {},
} as const satisfies CommandDecl<Record<string, OptionDecl>>;
/** The run's sample files: one, or one per k6 process. */
export function sampleFiles(dir: string): string[] {
  if (existsSync(join(dir, 'samples.csv.gz'))) return [join(dir, 'samples.csv.gz')];
  return readdirSync(dir).filter((f) => /^samples-\d+\.csv\.gz$/.test(f)).sort().map((f) => join(dir, f));
}

/** Writes DIR/report.html from the samples of the run, whose time span the caller's aggregate knows; returns its path. */
export async function writeRunReport(dir: string, summary: RunSummary, files: readonly string[], agg: Pick<RawAggregate, 'firstTs' | 'lastTs'>): Promise<string> {
  const timeline = await readTimeline(files, HELD_ENDPOINT_IDS, { first: agg.firstTs, last: agg.lastTs });
  const out = join(dir, 'report.html');
  writeFileSync(out, reportHtml({ summary, timeline }));
  return out;
}

export async function reportCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, REPORT_COMMAND);
  if (parsed === null) return 0;
  const { positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError('give exactly one RESULTS_DIR (results/<run-id>)');
  const dir = positionals[0]!;
  if (!existsSync(dir)) throw new UsageError(`no results folder ${dir}`);
  const file = join(dir, 'summary.json');
  const s = readJson(file, 'run summary') as Partial<RunSummary> | null;
  if (!s || s.schema !== SUMMARY_SCHEMA || typeof s.endpoints !== 'object' || s.endpoints === null) throw new UsageError(`${file} is not a talkload run summary (schema ${SUMMARY_SCHEMA})`);
  checkSummaryFields(s as RunSummary, file);
  const files = sampleFiles(dir);
  if (files.length === 0) throw new UsageError(`no raw samples (samples.csv.gz) in ${dir}: the report needs them`);
  const agg = await aggregateSamples(files);
  if (agg.incomplete.length > 0 && s.interrupted !== true) {
    throw new UsageError(`samples incomplete (${incompleteText(agg.incomplete)}): refusing to draw part of a run as if whole; an interrupted run's report says so itself`);
  }
  const out = await writeRunReport(dir, s as RunSummary, files, agg);
  process.stdout.write(`talkload report: wrote ${relative(process.cwd(), out)}\n`);
  return 0;
}
