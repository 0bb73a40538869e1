// Reloads of the API definitions folder, counted by result: a valid folder is applied
// (success), an invalid one refused while the previous set stays live (failure).
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeApisDir } from './helpers/apis-dir.js';
import { scrape } from './helpers/metrics.js';
import { ONE_TRY, startStack, type Stack } from './helpers/stack.js';

const RELOADS = 'evercycle_gateway_definitions_reloads_total';

let stack: Stack | undefined;
let dir: string | undefined;
afterEach(async () => {
  await stack?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  stack = dir = undefined;
});

describe('definitions reloads', () => {
  it('counts applied and refused reloads apart', async () => {
    dir = await makeApisDir();
    stack = await startStack({ env: { ...ONE_TRY, EVERCYCLE_APIS_DIR: dir } });
    const reloads = async () => {
      const m = await scrape(stack!.url);
      return { success: m.value(RELOADS, { result: 'success' }), failure: m.value(RELOADS, { result: 'failure' }) };
    };
    expect(await reloads()).toEqual({ success: 0, failure: 0 });

    expect((await stack.gateway.reloadDefinitions('test')).ok).toBe(true);
    expect(await reloads()).toEqual({ success: 1, failure: 0 });

    await writeFile(path.join(dir, 'broken.json'), '{"method": "GET"');
    expect((await stack.gateway.reloadDefinitions('test')).ok).toBe(false);
    expect((await stack.gateway.reloadDefinitions('test')).ok).toBe(false);
    expect(await reloads()).toEqual({ success: 1, failure: 2 });
  });
});
