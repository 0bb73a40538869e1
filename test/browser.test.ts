// What a person sees in a real browser: headless chromium (the system's) against a real
// gateway in front of the simulator. Skipped, saying how to install chromium, when there
// is none. test-results/ receives a screenshot of each scenario.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, openPage, screenshot, useBrowser } from './helpers/browser.js';
import { VERSION } from '../src/version.js';
import { signIn, startStack, type Stack } from './helpers/stack.js';

const browser = useBrowser();
const suite = browserMissing ? describe.skip : describe;
if (browserMissing) console.warn(browserMissing);
/** How long a browser test may take (a first launch on a busy machine is slow), and each wait in it. */
const TEST = { timeout: 60_000 };
const WAIT = { timeout: 15_000 };

suite(`Swagger UI at /docs${browserMissing ? ` (${browserMissing})` : ''}`, TEST, () => {
  let stack: Stack;
  let asset: { id: number; serial_number: string };

  beforeAll(async () => {
    stack = await startStack();
    await signIn(stack);
    // A seeded asset, as the gateway itself reports it.
    const res = await fetch(`${stack.url}/api/get-all?page_num=2&per_page=5`);
    const body = (await res.json()) as { data: { id: number; serial_number: string }[] };
    expect(res.status).toBe(200);
    asset = body.data[2]!;
    expect(asset.serial_number).toEqual(expect.any(String));
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('tries get-asset-id out: the asset appears in the rendered response, and nothing is loaded from elsewhere', async () => {
    const recorded = await openPage(await browser());
    const { page } = recorded;
    try {
      await page.goto(`${stack.url}/docs`);
      const operation = page.locator('#operations-apis-get-asset-id');
      await operation.locator('.opblock-summary').click();
      // Expanding updates the deep link the status page uses.
      await expect.poll(() => new URL(page.url()).hash, WAIT).toBe('#/apis/get-asset-id');

      await operation.getByRole('button', { name: 'Try it out' }).click();
      await operation.locator('tr[data-param-name="id"] input').fill(String(asset.id));
      await operation.getByRole('button', { name: 'Execute' }).click();

      const responseBody = operation.locator('.live-responses-table .response-col_description .highlight-code pre');
      await expect.poll(() => responseBody.textContent(), WAIT).toContain(asset.serial_number);
      const text = (await responseBody.textContent()) ?? '';
      expect(JSON.parse(text)).toMatchObject({ status: 'success', data: { id: asset.id, serial_number: asset.serial_number } });
      await expect.poll(() => operation.locator('.live-responses-table tbody .response-col_status').textContent(), WAIT).toContain('200');

      // The operation from its title down to the response body.
      await operation.evaluate((element) => element.scrollIntoView());
      await screenshot(page, 'docs-get-asset-id');
      const origin = new URL(stack.url).origin;
      expect(recorded.requests).toContain(`${origin}/openapi.json`);
      expect(recorded.requests).toContain(`${origin}/api/get-asset-id/${asset.id}`);
      expect(recorded.requestsOutside(origin)).toEqual([]);
      expect(recorded.errors).toEqual([]);
    } finally {
      await recorded.close();
    }
  });

  it('a deep link /docs#/apis/<name> (as the status page writes them) opens that operation', async () => {
    const recorded = await openPage(await browser());
    try {
      await recorded.page.goto(`${stack.url}/docs#/apis/grade`);
      const operation = recorded.page.locator('#operations-apis-grade');
      await expect.poll(() => operation.getAttribute('class'), WAIT).toContain('is-open');
      await expect.poll(() => operation.locator('tr[data-param-name="grade"]').count(), WAIT).toBe(1);
      expect(await recorded.page.locator('.opblock.is-open').count()).toBe(1);
      expect(recorded.errors).toEqual([]);
    } finally {
      await recorded.close();
    }
  });
});

suite(`status page at /${browserMissing ? ` (${browserMissing})` : ''}`, TEST, () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    await signIn(stack);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('shows version, upstream, circuit, token expiry and the APIs; a link opens the API in /docs', async () => {
    const recorded = await openPage(await browser());
    const { page } = recorded;
    try {
      await page.goto(`${stack.url}/`);
      expect(await page.title()).toBe(`Evercycle gateway ${VERSION}`);
      expect(await page.locator('#version').textContent()).toBe(VERSION);
      expect(await page.locator('#upstream').textContent()).toContain(new URL(stack.simUrl).host);
      expect(await page.locator('#circuit').textContent()).toMatch(/^closed/);
      expect(await page.locator('#token').textContent()).toMatch(/^expires in (59 min|1 h)/);
      const list = (await (await fetch(`${stack.url}/api/list`)).json()) as { apis: { name: string }[] };
      const names = await page.locator('#apis tbody tr td:first-child').allTextContents();
      expect(names).toEqual(list.apis.map((a) => a.name));
      await screenshot(page, 'status-page', { fullPage: true });

      await page.getByRole('link', { name: 'get-asset-id', exact: true }).click();
      await page.waitForURL(`${stack.url}/docs#/apis/get-asset-id`);
      await expect.poll(() => page.locator('#operations-apis-get-asset-id').getAttribute('class'), WAIT).toContain('is-open');
      expect(recorded.requestsOutside(new URL(stack.url).origin)).toEqual([]);
      expect(recorded.errors).toEqual([]);
    } finally {
      await recorded.close();
    }
  });
});
