// Headless Chromium check of the viewer (work in progress): opens /, waits until MapLibre has
// rendered commune features, fails on console errors or failed requests, clicks a commune and
// checks the panel, saves a screenshot. Usage: node tests/browser/viewer.mjs http://127.0.0.1:PORT
import { chromium } from '../../web/node_modules/playwright-core/index.mjs';

const base = process.argv[2] || 'http://127.0.0.1:8080';
const out = process.env.SCREENSHOT_DIR || 'build/screenshots';
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--use-gl=swiftshader', '--enable-unsafe-swiftshader'],
});
const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
const problems = [];
page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('requestfailed', (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
await page.goto(`${base}/`);
await page.waitForFunction(() => window.medatlasMap && window.medatlasMap.loaded() && window.medatlasMap.queryRenderedFeatures({ layers: ['communes-fill'] }).length > 100, null, { timeout: 60000 });
const rendered = await page.evaluate(() => window.medatlasMap.queryRenderedFeatures({ layers: ['communes-fill'] }).length);
await page.screenshot({ path: `${out}/index.png` });
// Click Montluçon's town hall and expect the panel to name it, with its indicators.
const at = await page.evaluate(() => window.medatlasMap.project([2.6061, 46.3437]));
await page.mouse.click(at.x, at.y);
try {
  await page.waitForSelector('#panel-name', { timeout: 10000 });
} catch (e) {
  const hits = await page.evaluate((at) => window.medatlasMap.queryRenderedFeatures([at.x, at.y]).map((f) => f.layer.id + ':' + (f.properties.code || '')), at);
  console.log(JSON.stringify({ at, hits, problems }));
  throw e;
}
const name = await page.textContent('#panel-name');
const panel = await page.textContent('#panel');
if (!name.includes('Montluçon') || !panel.includes('GPs per 10,000') || !panel.includes('MSP Montluçon (Bien-Assis)')) {
  problems.push(`panel: ${panel}`);
}
await page.screenshot({ path: `${out}/panel.png` });
// Every thematic map renders.
const maps = await page.$$eval('#style-switcher option', (os) => os.map((o) => o.value));
for (const m of maps) {
  await page.selectOption('#style-switcher', m);
  await page.waitForFunction((m) => window.medatlasMap.getStyle().name && window.medatlasMap.isStyleLoaded() && window.medatlasMap.queryRenderedFeatures({ layers: ['communes-fill'] }).length > 100, m, { timeout: 30000 });
  await page.screenshot({ path: `${out}/map-${m}.png` });
}
await browser.close();
console.log(JSON.stringify({ rendered, clicked: name, maps, problems }));
if (problems.length || rendered < 100 || !name) process.exit(1);
