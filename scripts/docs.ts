// npm run docs: writes docs/flags.md from the commands' own --help texts.
import { writeFileSync } from 'node:fs';
import { flagsPage } from '../src/node/docs/help-texts.ts';
import { EXIT_CODES_HELP } from '../src/node/exit-codes.ts';

writeFileSync(new URL('../docs/flags.md', import.meta.url), flagsPage(EXIT_CODES_HELP));
console.log('docs: wrote docs/flags.md');
