// The README shows the Caddyfile and the systemd unit's [Service] section without their
// comments: what it shows must be what deploy/ holds, line for line.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/stack.js';

const readme = () => readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
const deployFile = (name: string) => readFile(path.join(REPO_ROOT, 'deploy', name), 'utf8');

/** Lines that are not blank and not comments, trimmed. */
function significant(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** The fenced blocks of one language in the README's "Running several instances" section. */
function blocks(text: string, lang: string): string[] {
  const start = text.indexOf('\n## Running several instances');
  const section = text.slice(start, text.indexOf('\n## ', start + 1));
  return [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

it("README's Caddyfile is deploy/Caddyfile without its comments", async () => {
  const [shown, ...more] = blocks(await readme(), 'caddyfile');
  expect(more).toEqual([]);
  expect(significant(shown!)).toEqual(significant(await deployFile('Caddyfile')));
});

it("README's [Service] section is the unit's, without its comments", async () => {
  const [shown, ...more] = blocks(await readme(), 'ini');
  expect(more).toEqual([]);
  const unit = await deployFile('evercycle-gateway.service');
  const service = unit.slice(unit.indexOf('[Service]'), unit.indexOf('\n[Install]'));
  expect(significant(shown!)).toEqual(significant(service));
});
