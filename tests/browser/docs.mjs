// The API's documentation page (/docs) in headless Chromium: Swagger UI (from web/node_modules)
// must render every operation of /openapi.json, show the named examples of an operation, and
// make no request to another origin (nor any failed request, console error or HTTP error).
// Usage: node tests/browser/docs.mjs http://127.0.0.1:PORT
import { chromium } from '../../web/node_modules/playwright-core/index.mjs';

const base = process.argv[2] || 'http://127.0.0.1:8080';
const out = process.env.SCREENSHOT_DIR || 'build/screenshots';
const origin = new URL(base).origin;
const problems = [];
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, locale: 'fr-FR' });
  const requested = [];
  page.on('request', (r) => {
    const u = r.url();
    requested.push(u);
    if (!u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin) problems.push(`request to another origin: ${u}`);
  });
  page.on('requestfailed', (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));

  const doc = await (await fetch(`${base}/openapi.json`)).json();
  const operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));

  await page.goto(`${base}/docs`, { waitUntil: 'load' });
  const title = await page.title();
  if (!/contrat/i.test(title)) problems.push(`title is not French: ${title}`);
  await page.waitForFunction((n) => document.querySelectorAll('.opblock').length >= n, operations.length, { timeout: 60000 });
  const shown = await page.$$eval('.opblock', (blocks) => blocks.map((b) => {
    const method = b.querySelector('.opblock-summary-method')?.textContent.trim();
    const path = b.querySelector('.opblock-summary-path')?.getAttribute('data-path');
    return `${method} ${path}`;
  }));
  for (const op of operations) if (!shown.includes(op)) problems.push(`operation not rendered: ${op}`);
  if (shown.length !== operations.length) problems.push(`${shown.length} operations rendered, ${operations.length} described`);

  // One operation opened: its parameter offers the document's named examples.
  const block = page.locator('.opblock', { has: page.locator('.opblock-summary-path[data-path="/api/communes/{code}"]') }).first();
  await block.locator('.opblock-summary').first().click();
  await block.locator('.parameters').first().waitFor({ timeout: 30000 });
  const options = await block.locator('.parameters select option').allTextContents();
  if (!options.some((o) => o.includes('Montluçon'))) problems.push(`no Montluçon example among ${JSON.stringify(options)}`);

  await page.screenshot({ path: `${out}/docs.png` });
  const assets = requested.filter((u) => u.includes('/web/node_modules/swagger-ui-dist/'));
  if (assets.length < 2) problems.push(`Swagger UI not loaded from web/node_modules: ${JSON.stringify(requested)}`);
  console.log(`docs: ${shown.length} operations rendered, ${requested.length} requests, all to ${origin}`);
} finally {
  await browser.close();
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log('docs: ok');
