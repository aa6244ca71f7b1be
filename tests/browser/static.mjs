// The static map page (`medatlas tiles static`) in headless Chromium, served by a plain static
// file server (static-server.mjs: files and HTTP Range, nothing of medatlas) with no medatlas
// server anywhere: the map must draw communes from the PMTiles archive (rendered features and
// painted pixels), the legend must give its classes and sources in French (then in English on
// request), the archive must be read by range requests only (206, never whole), and no request
// may go anywhere but the static server, nor ask it for a file the folder lacks. Fails on
// console errors, page errors and failed requests. Screenshots go to $SCREENSHOT_DIR.
// Usage: node tests/browser/static.mjs DIR   (DIR written by `medatlas tiles static --out DIR`)
//   MIN_FEATURES: communes the first view must draw (default 100)
import { chromium } from '../../web/node_modules/playwright-core/index.mjs';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { serveFolder } from './static-server.mjs';
import fr from '../../web/i18n/fr.js';
import en from '../../web/i18n/en.js';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node tests/browser/static.mjs DIR');
  process.exit(2);
}
const out = process.env.SCREENSHOT_DIR || 'build/screenshots';
const minFeatures = Number(process.env.MIN_FEATURES || 100);
const site = JSON.parse(readFileSync(join(dir, 'site.json'), 'utf8'));
const archiveSize = statSync(join(dir, site.archive)).size;
const { server, origin, log } = await serveFolder(dir);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--use-gl=swiftshader', '--enable-unsafe-swiftshader'],
});
const problems = [];
const results = { origin, archive_bytes: archiveSize, maps: site.maps };

function check(ok, what) {
  if (!ok) problems.push(what);
  return ok;
}

async function newPage(locale = 'fr-FR') {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 }, locale });
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // MapLibre cancels the tiles it no longer needs when the view moves: the protocol then
    // aborts its range request. Any other failure is a problem.
    const error = r.failure()?.errorText ?? '';
    if (error === 'net::ERR_ABORTED' && r.url() === `${origin}/${site.archive}`) return;
    problems.push(`failed: ${r.url()} ${error}`);
  });
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin) problems.push(`request to another origin: ${u}`);
  });
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  return page;
}

/** Waits until MapLibre is idle with at least `min` rendered features in `layer`. */
async function rendered(page, layer, min, timeout = 60000) {
  await page.waitForFunction(([layer, min]) => {
    const m = window.medatlasMap;
    return m && m.isStyleLoaded() && m.loaded() && m.getLayer(layer) && m.queryRenderedFeatures({ layers: [layer] }).length >= min;
  }, [layer, min], { timeout });
  return page.evaluate((layer) => window.medatlasMap.queryRenderedFeatures({ layers: [layer] }).length, layer);
}

/** Share of the map canvas's pixels that differ from the background, and distinct colours. */
async function pixels(page) {
  return page.evaluate(() => new Promise((resolve) => {
    const m = window.medatlasMap;
    m.once('render', () => {
      const c = document.createElement('canvas');
      c.width = 300; c.height = 200;
      const ctx = c.getContext('2d');
      ctx.drawImage(m.getCanvas(), 0, 0, c.width, c.height);
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

/** The legend as a reader sees it. */
async function legend(page) {
  return page.evaluate(() => {
    const el = document.getElementById('legend');
    return {
      title: el.querySelector('.legend-title strong')?.textContent.trim() ?? '',
      rows: [...el.querySelectorAll('.row')].map((r) => r.textContent.replace(/\s+/g, ' ').trim()),
      sources: [...el.querySelectorAll('.source, .note')].map((r) => r.textContent.replace(/\s+/g, ' ').trim()),
      visible: el.checkVisibility(),
    };
  });
}

const styleTitle = (dict, name) => dict.style?.[name]?.title ?? null;

try {
  // ---- The page's only server is a file server: no medatlas API, tiles or styles behind it. ----
  for (const path of ['/api/meta', '/tiles/communes.json', '/health']) {
    const r = await fetch(`${origin}${path}`);
    check(r.status === 404, `${path} answered ${r.status} on the static server`);
  }
  log.length = 0;

  // ---- French (the browser's language), the default map. ----
  const page = await newPage('fr-FR');
  await page.goto(`${origin}/`);
  const first = site.default_map;
  results.features = await rendered(page, 'communes-fill', minFeatures);
  results.pixels = await pixels(page);
  check(results.pixels.painted > 0.2, `the map is mostly blank: ${JSON.stringify(results.pixels)}`);
  check(results.pixels.colours >= 4, `the map has ${results.pixels.colours} colours`);
  const l = await legend(page);
  results.legend_fr = l;
  check(l.visible, 'the legend is not visible');
  const wantTitle = styleTitle(fr, first);
  if (wantTitle) check(l.title === wantTitle, `legend title "${l.title}", not "${wantTitle}"`);
  else check(l.title.length > 0, 'the legend has no title');
  check(l.rows.length >= 3, `legend rows: ${JSON.stringify(l.rows)}`);
  check(l.sources.some((s) => s.startsWith(fr.legend.source.split('{')[0].trim())), `no "Source" line in the legend: ${JSON.stringify(l.sources)}`);
  check(l.sources.some((s) => s.startsWith(fr.static.archive.split('{')[0].trim())), 'the legend does not say the tiles come from the archive');
  check(await page.evaluate(() => document.documentElement.lang) === 'fr', 'the page is not in French');
  check(await page.textContent('#about') === fr.static.about, 'the note on what needs the server is not the French one');
  const options = await page.$$eval('#style-switcher option', (o) => o.map((x) => x.value));
  check(JSON.stringify(options) === JSON.stringify(site.maps), `map menu ${options} vs ${site.maps}`);
  await page.screenshot({ path: `${out}/static-fr.png` });

  // ---- Deeper: the commune under Montluçon's town hall, from the archive's deep tiles. ----
  const montlucon = [2.6035, 46.3406];
  const b = site.bounds;
  if (montlucon[0] > b[0] && montlucon[0] < b[2] && montlucon[1] > b[1] && montlucon[1] < b[3]) {
    await page.evaluate(([c, z]) => window.medatlasMap.jumpTo({ center: c, zoom: z }), [montlucon, Math.min(11, site.maxzoom)]);
    await rendered(page, 'communes-fill', 5);
    const here = await page.evaluate((c) => {
      const m = window.medatlasMap;
      return m.queryRenderedFeatures(m.project(c), { layers: ['communes-fill'] }).map((f) => ({ code: f.properties.code, name: f.properties.name, gp: f.properties.gp }));
    }, montlucon);
    results.montlucon = here;
    check(here.length === 1 && here[0].code === '03185' && here[0].name === 'Montluçon', `at Montluçon's town hall: ${JSON.stringify(here)}`);
    await page.screenshot({ path: `${out}/static-montlucon.png` });
  }

  // ---- Another map from the menu: zoning, its categories in the legend. ----
  if (site.maps.includes('zoning')) {
    await page.evaluate(() => window.medatlasMap.fitBounds([[2.06, 44.6], [4.5, 46.8]], { duration: 0 }));
    await page.selectOption('#style-switcher', 'zoning');
    await page.waitForFunction(() => new URLSearchParams(location.search).get('style') === 'zoning');
    results.zoning_features = await rendered(page, 'communes-fill', 10);
    const z = await legend(page);
    check(z.title === (styleTitle(fr, 'zoning') ?? z.title) && z.rows.some((r) => r.startsWith('ZIP')), `zoning legend: ${JSON.stringify(z)}`);
    const zp = await pixels(page);
    check(zp.painted > 0.2, `the zoning map is mostly blank: ${JSON.stringify(zp)}`);
    await page.screenshot({ path: `${out}/static-zoning.png` });
  }
  await page.close();

  // ---- English on request. ----
  const english = await newPage('fr-FR');
  await english.goto(`${origin}/?lang=en`);
  await rendered(english, 'communes-fill', minFeatures);
  const le = await legend(english);
  results.legend_en_title = le.title;
  const wantEn = styleTitle(en, first);
  if (wantEn) check(le.title === wantEn, `English legend title "${le.title}", not "${wantEn}"`);
  check(await english.textContent('#about') === en.static.about, 'the note on what needs the server is not the English one');
  await english.close();
} catch (e) {
  problems.push(`step failed: ${e.message.split('\n')[0]}`);
} finally {
  await browser.close();
  server.close();
}

// ---- What the static server was asked. ----
const archive = log.filter((r) => r.path === `/${site.archive}`);
results.requests = log.length;
results.archive_requests = archive.length;
results.archive_bytes_read = archive.reduce((a, r) => a + r.bytes, 0);
check(archive.length >= 2, `the archive was read ${archive.length} times`);
for (const r of archive) check(r.range && r.status === 206, `archive request without a range answered ${r.status} (range ${r.range})`);
check(results.archive_bytes_read < archiveSize || archiveSize < 1 << 20, `the page read ${results.archive_bytes_read} bytes of a ${archiveSize}-byte archive: not by ranges`);
for (const r of log) check(r.status < 400, `the static server answered ${r.status} to ${r.method} ${r.path}`);

console.log(JSON.stringify(results, null, 1));
if (problems.length) {
  console.error(`\n${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
console.error('static page: ok');
