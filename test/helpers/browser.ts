// A real headless chromium (the system's, never a downloaded one) driven by playwright-core,
// for tests of what a person sees in a browser. One browser per test file, shared by every
// describe block in it: call useBrowser() once at the top level of the file.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll } from 'vitest';
import { REPO_ROOT } from './stack.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined when they can. */
export const browserMissing: string | undefined = existsSync(CHROMIUM_PATH)
  ? undefined
  : `no chromium at ${CHROMIUM_PATH}: install it (apt-get install chromium) or set CHROMIUM_PATH; browser tests skipped`;

/** Flags that work headless in a container, with no traffic of chromium's own (updates, sync, field trials). */
const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Screenshots and other artefacts (gitignored). */
export const RESULTS_DIR = path.join(REPO_ROOT, 'test-results');

/**
 * The file's browser, launched on first use and closed after the file's last test.
 * Call at the top level of a test file; every describe block calls the returned function.
 */
export function useBrowser(): () => Promise<Browser> {
  let launching: Promise<Browser> | undefined;
  afterAll(async () => {
    if (launching) await (await launching).close();
  });
  return () => (launching ??= chromium.launch({ executablePath: CHROMIUM_PATH, args: LAUNCH_ARGS, timeout: 30_000 }));
}

/** A page in a fresh context (no shared cookies or storage), with what it did recorded. */
export interface RecordedPage {
  page: Page;
  /** Every URL the page requested, in order. */
  requests: string[];
  /** Console errors and uncaught exceptions (CSP violations are reported as console errors). */
  errors: string[];
  /** Requested URLs whose origin is not `origin`. */
  requestsOutside(origin: string): string[];
  close(): Promise<void>;
}

export async function openPage(browser: Browser): Promise<RecordedPage> {
  const context: BrowserContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  // Fail a stuck step with playwright's own message, well before the test times out.
  page.setDefaultTimeout(15_000);
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  return {
    page,
    requests,
    errors,
    // data: and blob: URLs are made in the page itself; they never leave it.
    requestsOutside: (origin) => requests.filter((url) => !/^(?:data|blob):/.test(url) && new URL(url).origin !== origin),
    close: () => context.close(),
  };
}

/** Save a screenshot of the viewport (or the whole page) to test-results/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: options.fullPage ?? false });
  return file;
}
