// A command's options declared once (issue 28): name, type, default, the value's name and the help
// line. The declaration gives the command its parsing (node's parseArgs, strict: an unknown flag is
// a usage error), its `--help` text and the flags page of the docs, so the three cannot drift.

import { parseArgs } from 'node:util';
import { UsageError, printedHelp } from './usage.ts';

export interface OptionDecl {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly default?: string | boolean;
  /** The value's name in the help (`--listen HOST:PORT`); none for a boolean. */
  readonly arg?: string;
  /** The help text, one string a line; `{default}` stands for the default. */
  readonly help?: string | readonly string[];
  /** The flag column's text when it names more than this flag (`--cpu Q, --memory Q`). */
  readonly flag?: string;
  /** Not a line of its own: named on this other option's line (its `flag`). */
  readonly shownWith?: string;
  /** The command cannot run without it: the usage error says so and why (`--backend URL is required (why)`). */
  readonly required?: string;
}

export interface CommandDecl<O extends Readonly<Record<string, OptionDecl>>> {
  /** The help's first paragraphs: usage line and what the command does. */
  readonly about: string;
  readonly options: O;
  /** Column at which the option's help text starts (the options' names are padded to it). */
  readonly column: number;
  /** Text after the options, if any. */
  readonly footer?: string;
  /** Whether the command takes positional arguments (a results folder). */
  readonly positionals?: boolean;
}

type ValueOf<D extends OptionDecl> = D['type'] extends 'boolean' ? (D['multiple'] extends true ? boolean[] : boolean) : D['multiple'] extends true ? string[] : string;

/** Parsed values: an option with a default, or a required one, always has a value. */
export type OptionValues<O extends Readonly<Record<string, OptionDecl>>> = {
  -readonly [K in keyof O]: O[K] extends { readonly default: string | boolean } | { readonly required: string } ? ValueOf<O[K]> : ValueOf<O[K]> | undefined;
};

/** The `--help` text of a declaration. */
export function helpOf(decl: CommandDecl<Readonly<Record<string, OptionDecl>>>): string {
  const lines: string[] = [];
  for (const [name, o] of Object.entries(decl.options)) {
    if (o.shownWith !== undefined) continue;
    const flag = `  ${o.flag ?? `--${name}${o.arg ? ` ${o.arg}` : ''}`}`;
    const help = (typeof o.help === 'string' ? [o.help] : (o.help ?? [])).map((h) => h.replace('{default}', String(o.default)));
    // A flag text wider than the column is followed by three spaces, as hand-written help had it.
    const head = flag.length + 2 > decl.column ? `${flag}   ` : flag.padEnd(decl.column);
    lines.push(`${head}${help[0] ?? ''}`.trimEnd());
    for (const more of help.slice(1)) lines.push(`${' '.repeat(decl.column)}${more}`);
  }
  return lines.length === 0 ? `${decl.about}\n${decl.footer ?? ''}` : `${decl.about}\n\n${lines.join('\n')}\n${decl.footer ?? ''}`;
}

/**
 * `--help` printed (null), or the parsed options and positionals. parseArgs' own errors (an unknown
 * flag, a missing value) are one-line usage errors where the commands are dispatched (cli/main.ts).
 */
export function parseCommand<O extends Readonly<Record<string, OptionDecl>>>(argv: readonly string[], decl: CommandDecl<O>): { values: OptionValues<O>; positionals: string[] } | null {
  if (printedHelp(argv, helpOf(decl))) return null;
  return parseOptions(argv, decl);
}

/** The parsing alone, for a command that printed its help earlier (or whose flags another takes). */
export function parseOptions<O extends Readonly<Record<string, OptionDecl>>>(argv: readonly string[], decl: CommandDecl<O>): { values: OptionValues<O>; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; default?: string | boolean }> = {};
  for (const [name, o] of Object.entries(decl.options)) {
    options[name] = { type: o.type, ...(o.multiple ? { multiple: true } : {}), ...(o.default !== undefined ? { default: o.default } : {}) };
  }
  const { values, positionals } = parseArgs({ args: [...argv], strict: true, allowPositionals: decl.positionals === true, options });
  for (const [name, o] of Object.entries(decl.options)) {
    const v = (values as Record<string, unknown>)[name];
    if (o.required !== undefined && (v === undefined || v === '')) throw new UsageError(`--${name}${o.arg ? ` ${o.arg}` : ''} is required${o.required === '' ? '' : o.required.startsWith(':') ? o.required : ` (${o.required})`}`);
  }
  return { values: values as OptionValues<O>, positionals };
}
