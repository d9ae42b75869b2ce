// The one declaration of a command's options: its help text, its parsing, its required flags.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CommandDecl, type OptionDecl, helpOf, parseOptions } from './options.ts';
import { UsageError } from './usage.ts';

const DECL = {
  about: 'Usage: talkload demo [options]\n\nDoes a demo.',
  column: 20,
  footer: '\nMore words.\n',
  options: {
    listen: { type: 'string', arg: 'HOST:PORT', default: '127.0.0.1:0', help: 'address (default {default})' },
    backend: { type: 'string', arg: 'URL', required: 'the Nextcloud base URL', help: ['first line', 'second line'] },
    cpu: { type: 'string', flag: '--cpu Q, --memory Q', default: '2', help: 'limits' },
    memory: { type: 'string', default: '4Gi', shownWith: 'cpu' },
    'a-very-long-flag': { type: 'string', arg: 'VALUE', help: 'wider than the column' },
    quiet: { type: 'boolean', default: false, help: 'say less' },
    fault: { type: 'string', arg: 'RULE', multiple: true, help: 'repeatable' },
  },
} as const satisfies CommandDecl<Record<string, OptionDecl>>;

test('the help text comes from the declaration: padding, continuation lines, defaults, grouped and wide flags', () => {
  assert.equal(
    helpOf(DECL),
    [
      'Usage: talkload demo [options]',
      '',
      'Does a demo.',
      '',
      '  --listen HOST:PORT   address (default 127.0.0.1:0)',
      '  --backend URL     first line',
      '                    second line',
      '  --cpu Q, --memory Q   limits',
      '  --a-very-long-flag VALUE   wider than the column',
      '  --quiet           say less',
      '  --fault RULE      repeatable',
      '',
      'More words.',
      '',
    ].join('\n'),
  );
});

const BASE = ['--backend', 'http://x'];
const PARSED: [string, string[], Record<string, unknown>][] = [
  ['defaults fill what is not given', BASE, { listen: '127.0.0.1:0', cpu: '2', memory: '4Gi', quiet: false, backend: 'http://x' }],
  ['given values win', [...BASE, '--listen', '::1:9', '--memory', '8Gi', '--quiet'], { listen: '::1:9', memory: '8Gi', quiet: true }],
  ['repeatable options collect', [...BASE, '--fault', 'a', '--fault', 'b'], { fault: ['a', 'b'] }],
];
for (const [name, argv, want] of PARSED) {
  test(`parseOptions: ${name}`, () => {
    const { values } = parseOptions(argv, DECL);
    for (const [k, v] of Object.entries(want)) assert.deepEqual((values as Record<string, unknown>)[k], v, k);
  });
}

test('a required option missing is a usage error naming it and why', () => {
  assert.throws(() => parseOptions([], DECL), (e: unknown) => e instanceof UsageError && e.message === '--backend URL is required (the Nextcloud base URL)');
  assert.throws(() => parseOptions(['--backend', ''], DECL), UsageError);
});

test('an unknown flag is refused (parseArgs strict), a positional too unless declared', () => {
  assert.throws(() => parseOptions([...BASE, '--nope'], DECL), /Unknown option '--nope'/);
  assert.throws(() => parseOptions([...BASE, 'extra'], DECL), /Unexpected argument 'extra'/);
  assert.deepEqual(parseOptions([...BASE, 'extra'], { ...DECL, positionals: true }).positionals, ['extra']);
});
