// The viewer in headless Chromium (Debian's, driven by playwright-core): every step must render
// something, answer what a user would see, and stay on the server's origin. Fails on console
// errors, page errors, failed requests, HTTP errors (except where a step expects one) and any
// request to another origin. Screenshots go to $SCREENSHOT_DIR.
// Usage: node tests/browser/viewer.mjs http://127.0.0.1:PORT
import { chromium } from '../../web/node_modules/playwright-core/index.mjs';

const base = process.argv[2] || 'http://127.0.0.1:8080';
const out = process.env.SCREENSHOT_DIR || 'build/screenshots';
const origin = new URL(base).origin;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--use-gl=swiftshader', '--enable-unsafe-swiftshader'],
});
const problems = [];
const results = {};
let expectedErrors = []; // URL parts whose 4xx a step expects

async function newPage() {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  page.on('console', (m) => {
    if (m.type() === 'error' && !expectedErrors.some((e) => m.text().includes('404') || m.text().includes(e))) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // MapLibre cancels the tiles it no longer needs when the view moves (a fly-to, a style
    // switch): an aborted tile request is the client's choice, not a failure of the server.
    // Any other failure, and any aborted request that is not a tile, is a problem.
    const error = r.failure()?.errorText ?? '';
    if (error === 'net::ERR_ABORTED' && new URL(r.url()).pathname.startsWith('/tiles/')) return;
    problems.push(`failed: ${r.url()} ${error}`);
  });
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin) problems.push(`request to another origin: ${u}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !expectedErrors.some((e) => r.url().includes(e))) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return page;
}

function check(ok, what) {
  if (!ok) problems.push(what);
  return ok;
}

/** Waits until MapLibre is idle with at least `min` rendered features in `layer`. */
async function rendered(page, layer, min, timeout = 60000) {
  await page.waitForFunction(([layer, min]) => {
    const m = window.medatlasMap;
    return m && m.isStyleLoaded() && m.loaded() && m.getLayer(layer) && m.queryRenderedFeatures({ layers: [layer] }).length >= min;
  }, [layer, min], { timeout });
  return page.evaluate((layer) => window.medatlasMap.queryRenderedFeatures({ layers: [layer] }).length, layer);
}

/** Share of the map canvas's pixels that differ from the background, and distinct colours: a
 * blank or single-colour map fails however many features MapLibre says it drew. */
async function pixels(page) {
  return page.evaluate(() => new Promise((resolve) => {
    const m = window.medatlasMap;
    m.once('render', () => {
      const src = m.getCanvas();
      const c = document.createElement('canvas');
      c.width = 300; c.height = 200;
      const ctx = c.getContext('2d');
      ctx.drawImage(src, 0, 0, c.width, c.height); // the drawing buffer is valid during 'render'
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      let painted = 0;
      const colours = new Set();
      for (let i = 0; i < d.length; i += 4) {
        if (Math.abs(d[i] - 0xee) + Math.abs(d[i + 1] - 0xf0) + Math.abs(d[i + 2] - 0xf2) > 12) painted++;
        colours.add((d[i] >> 4) * 256 + (d[i + 1] >> 4) * 16 + (d[i + 2] >> 4));
      }
      resolve({ painted: painted / (c.width * c.height), colours: colours.size });
    });
    m.triggerRepaint();
  }));
}

async function clickAt(page, lonLat) {
  const at = await page.evaluate((p) => window.medatlasMap.project(p), lonLat);
  await page.mouse.click(at.x, at.y);
}

// In Montluçon, away from its town hall (where its MSP point is drawn: a click there opens the MSP).
const MONTLUCON = [2.585, 46.325];
// A step that times out still reports what went wrong before it.
process.on('uncaughtException', async (e) => {
  console.log(JSON.stringify({ results, problems }, null, 1));
  console.error(e);
  process.exit(1);
});

// 1. The default map: choropleth, legend, MSP points, drawn pixels.
{
  const page = await newPage();
  await page.goto(`${base}/`);
  results.communes = await rendered(page, 'communes-fill', 100);
  results.msp = await rendered(page, 'msp', 10);
  results.pixels = await pixels(page);
  check(results.pixels.painted > 0.15 && results.pixels.colours >= 5, `the map looks blank: ${JSON.stringify(results.pixels)}`);
  const legend = await page.textContent('#legend');
  check(legend.includes('GPs per 10,000') && legend.includes('GP counts: SanteScope 2026') && legend.includes('estimated') && legend.includes('MSP'), `legend: ${legend}`);
  check(!legend.toLowerCase().includes('synthetic'), `the legend calls real counts synthetic: ${legend}`);
  await page.screenshot({ path: `${out}/index.png` });

  // 2. Click Montluçon: its panel with indicators, nearest MSP, aids and downloads.
  await clickAt(page, MONTLUCON);
  await page.waitForSelector('#panel-name', { timeout: 15000 });
  const panel = await page.textContent('#panel');
  check((await page.textContent('#panel-name')).includes('Montluçon'), 'panel name');
  for (const text of ['GPs per 10,000', 'APL', 'Zoning', 'ZAC', 'MSP Montluçon (Bien-Assis)', 'departmental aids in 2022']) check(panel.includes(text), `panel lacks "${text}": ${panel}`);
  // Both APLs side by side: ours and DREES's published 2023 value for Montluçon (3.25 in the sheet).
  check(panel.includes('APL computed by medatlas') && /APL official, DREES 2023\s*3\.25/.test(panel), `panel lacks the two APLs: ${panel}`);
  // 55 GPs (SanteScope 2026) of which 55 × 0.474… = 26.1 near retirement, estimated.
  for (const text of ['GP counts: SanteScope 2026', '26.1 estimated']) check(panel.includes(text), `panel lacks "${text}": ${panel}`);
  const csv = await page.evaluate(async () => (await fetch(document.getElementById('download-csv').href)).text());
  check(csv.split('\n')[1]?.startsWith('03185,Montluçon'), `CSV download: ${csv}`);
  await page.screenshot({ path: `${out}/panel.png` });

  // 3. Every thematic map renders, with its legend.
  const maps = await page.$$eval('#style-switcher option', (os) => os.map((o) => o.value));
  for (const m of maps) {
    await page.selectOption('#style-switcher', m);
    await page.waitForFunction((m) => document.querySelector('#style-switcher').value === m, m);
    await rendered(page, 'communes-fill', 100);
    await page.screenshot({ path: `${out}/map-${m}.png` });
  }
  results.maps = maps;
  check(maps.length === 6, `maps: ${maps}`);
  // The official APL map draws DREES's values, with its own legend.
  await page.selectOption('#style-switcher', 'apl_official');
  await page.waitForFunction(() => document.querySelector('#style-switcher').value === 'apl_official');
  const official = await page.evaluate(() => window.medatlasMap.queryRenderedFeatures({ layers: ['communes-fill'] }).filter((f) => typeof f.properties.apl_official === 'number').length);
  check(official > 100, `official APL map: ${official} communes with apl_official`);
  const officialLegend = await page.textContent('#legend');
  check(officialLegend.includes('APL officielle DREES 2023'), `official legend: ${officialLegend}`);
  results.official_apl_communes = official;

  // 4. An MSP point opens its popup.
  await page.selectOption('#style-switcher', 'gp_density');
  await rendered(page, 'msp', 10);
  const site = await page.evaluate(() => {
    const f = window.medatlasMap.queryRenderedFeatures({ layers: ['msp'] })[0];
    return { name: f.properties.name, at: window.medatlasMap.project(f.geometry.coordinates) };
  });
  await page.mouse.click(site.at.x, site.at.y);
  await page.waitForSelector('.maplibregl-popup .site-name', { timeout: 10000 });
  check((await page.textContent('.maplibregl-popup')).includes(site.name), `MSP popup should name ${site.name}`);
  await page.close();
}

// 5. Search: accent-insensitive name, then a name that matches nothing.
{
  const page = await newPage();
  await page.goto(`${base}/`);
  await rendered(page, 'communes-fill', 100);
  await page.fill('#search-input', 'neris les bains');
  await page.waitForSelector('#search-results li[data-i]', { timeout: 10000 });
  check((await page.textContent('#search-results')).includes('Néris-les-Bains'), 'search: Néris-les-Bains');
  await page.press('#search-input', 'Enter');
  await page.waitForFunction(() => document.getElementById('panel-name')?.textContent.includes('Néris-les-Bains'), null, { timeout: 15000 });
  await page.waitForFunction(() => window.medatlasMap.getZoom() > 9 && !window.medatlasMap.isMoving(), null, { timeout: 15000 });
  await page.screenshot({ path: `${out}/search.png` });
  await page.fill('#search-input', 'Xyzzyville');
  await page.waitForSelector('#search-results li.empty', { timeout: 10000 });
  check((await page.textContent('#search-results')).includes('No match'), 'search: no match');
  await page.close();
}

// 6. What-if: place a site with 4 GPs in an under-served area, see the change, share, undo.
let shared = null;
{
  const page = await newPage();
  await page.goto(`${base}/`);
  await rendered(page, 'communes-fill', 100);
  await page.evaluate(() => window.medatlasMap.jumpTo({ center: [2.85, 46.45], zoom: 9 }));
  await rendered(page, 'communes-fill', 50);
  await page.click('#whatif-toggle');
  await page.fill('#whatif-gps', '4');
  await page.dispatchEvent('#whatif-gps', 'change');
  await clickAt(page, [2.83, 46.48]);
  await page.waitForSelector('#lifted', { timeout: 30000 });
  await page.waitForFunction(() => document.querySelector('#style-switcher').value === 'apl_change', null, { timeout: 15000 });
  await rendered(page, 'communes-fill', 50);
  const gains = await page.evaluate(() => window.medatlasMap.queryRenderedFeatures({ layers: ['communes-fill'] }).filter((f) => f.properties.apl_delta > 0).length);
  check(gains > 0, 'what-if: no commune with a higher APL drawn');
  results.whatif_gaining_features = gains;
  const summary = await page.textContent('#whatif');
  check(summary.includes('+4 GPs') && summary.includes('Residents lifted above APL 2.5'), `what-if summary: ${summary}`);
  shared = await page.inputValue('#whatif-url');
  check(new URL(page.url()).searchParams.get('scenario') === new URL(shared).searchParams.get('scenario'), 'the address shares the scenario');
  await page.screenshot({ path: `${out}/whatif.png` });
  await page.click('#whatif-undo');
  await page.waitForFunction(() => document.querySelector('#style-switcher').value !== 'apl_change' && !new URLSearchParams(location.search).get('scenario'), null, { timeout: 15000 });
  check(!(await page.$('#lifted')), 'undo leaves no summary');
  await page.close();
}
// ... and the shared address reopens it.
{
  const page = await newPage();
  await page.goto(shared);
  await page.waitForSelector('#lifted', { timeout: 30000 });
  await rendered(page, 'communes-fill', 50);
  check((await page.$$('.new-site')).length === 1, 'shared scenario: one placed site');
  await page.close();
}

// 7. The Montluçon panorama: zoning of the basin, circles, labels on the named communes.
{
  const page = await newPage();
  await page.goto(`${base}/panorama/montlucon`);
  await page.waitForSelector('.place-label[data-code="03185"]', { timeout: 30000 });
  results.panorama_communes = await rendered(page, 'communes-fill', 60);
  results.panorama_circles = await rendered(page, 'gp-circles', 10);
  results.panorama_msp = await rendered(page, 'msp', 5);
  const zoning = await page.evaluate(() => [...new Set(window.medatlasMap.queryRenderedFeatures({ layers: ['communes-fill'] }).map((f) => f.properties.zoning))].sort());
  check(zoning.includes('ZIP') && zoning.includes('ZAC'), `panorama zoning classes drawn: ${zoning}`);
  results.panorama_zoning = zoning;
  for (const code of ['03185', '03082', '03101', '03098', '03195', '03128', '03084']) {
    check(await page.$(`.place-label[data-code="${code}"]`), `panorama: no label for ${code}`);
  }
  const legend = await page.textContent('#legend');
  check(legend.includes('Hors zonage') && legend.includes('56 ZIP, 27 ZAC, 7 HZ'), `panorama legend: ${legend}`);
  const definition = await page.textContent('#definition');
  check(definition.includes('near retirement (55+, estimated'), `panorama totals say the near-retirement count is estimated: ${definition}`);
  results.panorama_pixels = await pixels(page);
  check(results.panorama_pixels.painted > 0.15, `panorama looks blank: ${JSON.stringify(results.panorama_pixels)}`);
  await page.screenshot({ path: `${out}/panorama-montlucon.png` });
  await page.close();
}

// 8. Bad input on the panorama: unknown codes are reported on the page, the map still drawn.
{
  const page = await newPage();
  await page.goto(`${base}/panorama?communes=03185,99999,abc`);
  await page.waitForSelector('#rejected', { timeout: 30000 });
  const report = await page.textContent('#report');
  check(report.includes('99999') && report.includes('abc'), `panorama report: ${report}`);
  await rendered(page, 'communes-fill', 1);
  await page.screenshot({ path: `${out}/panorama-unknown-codes.png` });
  await page.close();
}
{
  expectedErrors = ['/panorama/atlantis', '/api/panorama?preset=atlantis'];
  const page = await newPage();
  await page.goto(`${base}/panorama/atlantis`);
  await page.waitForSelector('#report:not([hidden])', { timeout: 30000 });
  check((await page.textContent('#report')).includes('atlantis'), 'unknown panorama reported');
  await rendered(page, 'outside-fill', 10);
  await page.close();
  expectedErrors = [];
}

await browser.close();
console.log(JSON.stringify({ results, problems }, null, 1));
if (problems.length) process.exit(1);
