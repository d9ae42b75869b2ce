// The docs are a map that holds: the README stays short and links pages that exist, every flag a
// command's --help lists is explained on a topic page, docs/flags.md is what the commands print,
// and the reference's endpoint table is the catalogue, not a copy that drifts from it.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { documentedCodes, ENDPOINT_IDS, ENDPOINTS, TALK_BASE } from '../../shared/endpoints.ts';
import { EXIT_CODES_HELP } from '../exit-codes.ts';
import { HELP_TEXTS, flagsOf, flagsPage } from './help-texts.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DOCS = join(ROOT, 'docs');
const pages = (): string[] => [join(ROOT, 'README.md'), ...readdirSync(DOCS).filter((f) => f.endsWith('.md')).map((f) => join(DOCS, f))];

test('the README is a map: at most 250 lines, linking every docs page', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  assert.ok(readme.split('\n').length <= 250, `README.md has ${readme.split('\n').length} lines`);
  for (const f of readdirSync(DOCS).filter((x) => x.endsWith('.md'))) assert.ok(readme.includes(`(docs/${f})`), `README links docs/${f}`);
});

test('no broken relative link in the README or any docs page (files and #anchors)', () => {
  const anchorsOf = (text: string): Set<string> =>
    new Set([...text.matchAll(/^#+ (.+)$/gm)].map((m) => m[1]!.toLowerCase().replace(/[`*]/g, '').replace(/[^a-z0-9 _-]/g, '').trim().replace(/ /g, '-')));
  for (const page of pages()) {
    const text = readFileSync(page, 'utf8');
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const link = m[1]!;
      if (/^[a-z]+:/.test(link)) continue; // https:, mailto:
      const [path, anchor] = link.split('#') as [string, string | undefined];
      const target = path === '' ? page : resolve(dirname(page), path);
      assert.ok(existsSync(target), `${page.slice(ROOT.length)}: link ${link} points at nothing`);
      if (anchor !== undefined && target.endsWith('.md')) assert.ok(anchorsOf(readFileSync(target, 'utf8')).has(anchor), `${page.slice(ROOT.length)}: no heading for #${anchor} in ${path || 'itself'}`);
    }
  }
});

test('every flag a command lists in --help is explained on a topic page (not only in the generated flags page)', () => {
  const topics = pages().filter((p) => !p.endsWith('flags.md')).map((p) => readFileSync(p, 'utf8')).join('\n');
  const missing: string[] = [];
  for (const [name, help] of Object.entries(HELP_TEXTS)) {
    for (const flag of flagsOf(help)) if (!new RegExp(`${flag}(?![a-z0-9-])`).test(topics)) missing.push(`talkload ${name} ${flag}`);
  }
  assert.deepEqual(missing, []);
});

test('docs/flags.md is what the commands print (npm run docs writes it)', () => {
  assert.equal(readFileSync(join(DOCS, 'flags.md'), 'utf8'), flagsPage(EXIT_CODES_HELP));
});

test('the reference endpoint table matches the catalogue row for row', () => {
  const reference = readFileSync(join(DOCS, 'reference.md'), 'utf8');
  const rows = new Map<string, string>();
  for (const m of reference.matchAll(/^\| (\w+) \| (GET|POST|PUT|DELETE) \| `([^`]+)` \| (yes|no) \| ([\d ]+) \|$/gm)) {
    rows.set(m[1]!, `${m[2]} ${m[3]} ${m[4]} ${m[5]!.trim()}`);
  }
  for (const id of ENDPOINT_IDS) {
    const e = ENDPOINTS[id];
    const path = e.path.startsWith(TALK_BASE) ? e.path.slice(TALK_BASE.length) : e.path;
    assert.equal(rows.get(id), `${e.method} ${path} ${e.guestAllowed ? 'yes' : 'no'} ${documentedCodes(id).join(' ')}`, id);
  }
  assert.equal(rows.size, ENDPOINT_IDS.length);
});
