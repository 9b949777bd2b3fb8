/**
 * What the console's browser tests share: the built console (built here when
 * missing or older than its sources), one headless Chromium for the whole
 * file (Debian's package, driven by playwright-core), and a watch on each page
 * that collects what must never happen: a Content-Security-Policy violation,
 * a script error, a server error.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

const ROOT = join(import.meta.dirname, '..', '..');
const BUILD = join(ROOT, 'dist', 'public', 'console');

/** Builds the console unless the build on disk was made from the current sources. */
export async function ensureConsoleBuilt(): Promise<void> {
  // @ts-expect-error: a JavaScript build script without type declarations
  const script: { buildConsole(): Promise<unknown>; sourcesDigest(): string } = await import('../../scripts/build-console.mjs');
  const record = `${BUILD}.build.json`;
  const current = existsSync(record) && existsSync(join(BUILD, 'index.html')) && JSON.parse(readFileSync(record, 'utf8')).sources === script.sourcesDigest();
  if (!current) await script.buildConsole();
}

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true });
}

export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  /** CSP violations, script errors and 5xx answers seen so far. */
  problems: string[];
  /** localStorage, sessionStorage and the cookies a script can read. */
  scriptVisibleState(): Promise<{ localStorage: Record<string, string>; sessionStorage: Record<string, string>; cookie: string }>;
}

export async function watchedPage(browser: Browser, options: BrowserContextOptions = {}): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 }, ...options });
  const page = await context.newPage();
  const problems: string[] = [];
  await page.exposeBinding('reportCspViolation', (_source, text: string) => {
    problems.push(`CSP violation: ${text}`);
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      (window as unknown as { reportCspViolation(text: string): void }).reportCspViolation(`${event.violatedDirective} blocked ${event.blockedURI}`);
    });
  });
  page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
  page.on('console', (message) => {
    const text = message.text();
    // Chromium logs every 4xx answer as "Failed to load resource"; an API call refused on purpose (a wrong password) is one.
    const refusedApiCall = text.startsWith('Failed to load resource: the server responded with a status of 4') && message.location().url.includes('/api/');
    if (message.type() === 'error' && !refusedApiCall) {
      problems.push(`console error: ${text}`);
    }
  });
  page.on('response', (response) => {
    if (response.status() >= 500) problems.push(`server error: ${response.status()} ${response.url()}`);
  });
  return {
    context,
    page,
    problems,
    scriptVisibleState: () =>
      page.evaluate(() => ({
        localStorage: { ...localStorage },
        sessionStorage: { ...sessionStorage },
        cookie: document.cookie,
      })),
  };
}

/**
 * With CONSOLE_SCREENSHOTS=1 the tests photograph the pages they visit into
 * docs/console/ (the images docs/CONSOLE.md shows); otherwise this does nothing.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (!process.env.CONSOLE_SCREENSHOTS) return;
  const dir = join(ROOT, 'docs', 'console');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), animations: 'disabled', caret: 'hide' });
}
