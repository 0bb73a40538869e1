// The README's settings table is the one the code prints: they cannot drift apart.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { settingsTable } from '../src/config.js';
import { REPO_ROOT } from './helpers/stack.js';

it('README carries the settings table generated from src/config.ts', async () => {
  const readme = await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
  expect(readme).toContain(settingsTable());
});
