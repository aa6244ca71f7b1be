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
    // The console does not name the URL of a failed load: a step expecting errors accepts its
    // 404 and 400 there, and the response handler below checks their URLs.
    if (m.type() === 'error' && !expectedErrors.some((e) => /status of 40[04]/.test(m.text()) || m.text().includes(e))) problems.push(`console: ${m.text()}`);
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
  check(summary.includes('+4 médecins') && summary.includes('Habitants passant au-dessus de 2,5'), `what-if summary: ${summary}`);
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

// 9. The scenario editor: close an MSP (the impact shows a loss), save it; a second scenario
// with a site added then removed from the list, a move and retirements; compare the two.
const MSP_MONTLUCON = 'allier-2022-14-montlucon';
/** Screen position of a rendered MSP point, by id. */
async function mspAt(page, id) {
  return page.evaluate((id) => {
    const f = window.medatlasMap.queryRenderedFeatures({ layers: ['msp'] }).find((x) => x.properties.id === id);
    return f ? window.medatlasMap.project(f.geometry.coordinates) : null;
  }, id);
}
/** Waits until the editor lists `n` actions and shows the impact of the scenario posted last. */
async function editorShows(page, n) {
  await page.waitForFunction((n) => document.querySelectorAll('#whatif-actions > li').length === n && document.querySelector('#lifted'), n, { timeout: 30000 });
}
const number = (text) => Number(text.replace(/[\s\u202f\u00a0]/g, '').replace(',', '.').replace('−', '-'));
{
  const page = await newPage();
  await page.goto(`${base}/`);
  await rendered(page, 'communes-fill', 100);
  await page.evaluate(() => window.medatlasMap.jumpTo({ center: [2.62, 46.34], zoom: 10.5 }));
  await rendered(page, 'msp', 1);
  await page.click('#whatif-toggle');
  // A: the Montluçon MSP closes, 5 GPs leave with it.
  let at = await mspAt(page, MSP_MONTLUCON);
  check(at, 'editor: the Montluçon MSP is not drawn');
  await page.mouse.click(at.x, at.y);
  await page.waitForSelector('.editor-popup #site-close', { timeout: 15000 });
  check((await page.textContent('.editor-popup')).includes('55 médecins dans la commune'), `MSP popup: ${await page.textContent('.editor-popup')}`);
  await page.fill('#site-gps', '5');
  await page.click('#site-close');
  await editorShows(page, 1);
  await page.waitForFunction(() => document.querySelector('#style-switcher')?.value === 'apl_change', null, { timeout: 15000 });
  await rendered(page, 'communes-fill', 20);
  const closing = await page.textContent('#whatif');
  check(closing.includes('Fermeture de MSP Montluçon') && closing.includes('−5 médecins'), `editor: the closing is not listed: ${closing}`);
  results.close_lower_apl = number(await page.textContent('#lower'));
  results.close_sa_lost = number(await page.textContent('#sa-lost'));
  check(results.close_lower_apl > 0 && results.close_sa_lost > 4.99, `closing an MSP shows no loss: ${results.close_lower_apl} residents, ${results.close_sa_lost} GPs`);
  check(number(await page.textContent('#higher')) === 0, 'closing an MSP raises an APL');
  check((await page.textContent('#sa-balance')).includes('équilibré'), 'spatial availability does not balance');
  for (const text of ['méthode de la DREES', 'Trajets : temps estimés', 'Soukhov', 'Gini', 'Palma']) check(closing.includes(text), `editor: methods lack "${text}"`);
  const losers = await page.evaluate(() => window.medatlasMap.queryRenderedFeatures({ layers: ['communes-fill'] }).filter((f) => f.properties.apl_delta < 0).length);
  check(losers > 0, 'editor: no commune with a lower APL drawn');
  await page.screenshot({ path: `${out}/editor-close.png` });
  await page.fill('#whatif-name', 'Fermeture MSP Montluçon');
  await page.click('#whatif-save');
  await page.waitForFunction(() => document.querySelector('#saved-list')?.textContent.includes('Fermeture MSP Montluçon'), null, { timeout: 15000 });
  const idA = new URL(page.url()).searchParams.get('scenario');

  // B: a site added (then taken off the list), the Montluçon MSP moved, 10 GPs retiring in Montluçon.
  await page.click('#whatif-clear');
  await page.waitForFunction(() => !document.querySelector('#whatif-actions') && !new URLSearchParams(location.search).get('scenario'), null, { timeout: 15000 });
  await rendered(page, 'msp', 1);
  await clickAt(page, [2.50, 46.40]);
  await editorShows(page, 1);
  await rendered(page, 'msp', 1);
  at = await mspAt(page, MSP_MONTLUCON);
  await page.mouse.click(at.x, at.y);
  await page.waitForSelector('.editor-popup #site-move', { timeout: 15000 });
  await page.click('#site-move');
  await page.waitForSelector('#whatif-moving');
  await clickAt(page, [2.68, 46.29]);
  await editorShows(page, 2);
  await page.click('#whatif-tool-retire');
  await clickAt(page, MONTLUCON);
  await page.waitForSelector('.editor-popup #retire-apply', { timeout: 15000 });
  await page.fill('#retire-gps', '10');
  await page.click('#retire-apply');
  await editorShows(page, 3);
  await page.click('#whatif-remove-0');
  await editorShows(page, 2);
  const listB = await page.textContent('#whatif-actions');
  check(listB.includes('Déplacement de MSP Montluçon') && listB.includes('Départs non remplacés à Montluçon') && !listB.includes('Nouveau site'), `editor: scenario B lists ${listB}`);
  check((await page.$$('.moved-site')).length === 1 && (await page.$$('.new-site:not(.moved-site)')).length === 0, 'editor: markers of scenario B');
  await page.fill('#whatif-name', 'Déplacement et départs');
  await page.click('#whatif-save');
  await page.waitForFunction(() => document.querySelectorAll('#saved-list > li').length === 2, null, { timeout: 15000 });
  const idB = new URL(page.url()).searchParams.get('scenario');
  const stored = await page.evaluate(async (id) => (await (await fetch(`/api/scenarios/${id}`)).json()).scenario, idB);
  check(stored.name === 'Déplacement et départs' && stored.changes.map((c) => c.type).join() === 'remove_site,add_site,retire', `stored scenario B: ${JSON.stringify(stored)}`);
  await page.screenshot({ path: `${out}/editor-move-retire.png` });

  // The comparison: A against B, table and difference map.
  check(await page.inputValue('#compare-a') === idA && await page.inputValue('#compare-b') === idB, 'comparison: the two saved scenarios are not preselected');
  await page.click('#compare-run');
  await page.waitForSelector('#compare-table', { timeout: 30000 });
  const table = await page.textContent('#compare-table');
  for (const text of ['Habitants passant sous 2,5', 'Variation moyenne de l’APL', 'min ou moins d’une MSP', 'Indice de Gini', 'Ratio de Palma', 'Médecins gagnés', 'Médecins perdus']) check(table.includes(text), `comparison table lacks "${text}"`);
  results.compare_rows = await page.$$eval('#compare-table tr:not(.group)', (rows) => rows.length);
  check(results.compare_rows >= 10, `comparison table: ${results.compare_rows} rows`);
  // A loses 5 GPs of supply, B 10 (its move keeps them): B loses more.
  const lost = await page.$$eval('#compare-lost td.num', (tds) => tds.map((t) => t.textContent));
  check(number(lost[0]) > 4.99 && number(lost[1]) > number(lost[0]), `comparison: GPs lost ${lost}`);
  await page.waitForFunction(() => window.medatlasMap.getLayer('compare-diff'), null, { timeout: 15000 });
  results.compare_diff_features = await rendered(page, 'compare-diff', 20);
  const legend = await page.textContent('#legend');
  check(legend.includes('Différence d’APL : scénario B − scénario A') && legend.includes('à peu près égal (±0,05)'), `comparison legend: ${legend}`);
  const colours = await page.evaluate(() => [...new Set(window.medatlasMap.queryRenderedFeatures({ layers: ['compare-diff'] }).map((f) => JSON.stringify(f.layer.paint['fill-color'])))].length);
  check(colours >= 3, `difference map: ${colours} colours`);
  results.compare_diff_colours = colours;
  await page.screenshot({ path: `${out}/compare.png` });
  await page.click('#compare-hide');
  await page.waitForFunction(() => !window.medatlasMap.getLayer('compare-diff') && document.querySelector('#style-switcher'), null, { timeout: 15000 });

  // The list stays in this browser; B's address reopens its move as one action.
  await page.goto(`${base}/?scenario=${idB}`);
  await editorShows(page, 2);
  check((await page.$$('#saved-list > li')).length === 2, 'saved scenarios are not kept');
  check((await page.textContent('#whatif-actions')).includes('Déplacement de MSP Montluçon'), 'reopened scenario B: the move is not one action');
  // ... and takes one more action: two GPs join another MSP.
  await page.click('#whatif-toggle');
  await rendered(page, 'msp', 2);
  const other = await page.evaluate((skip) => {
    // One clear of the legend (left) and the planner (right), so that its popup is too.
    const m = window.medatlasMap;
    const f = m.queryRenderedFeatures({ layers: ['msp'] }).find((x) => {
      const p = m.project(x.geometry.coordinates);
      return x.properties.id !== skip && p.x > 380 && p.x < 760 && p.y > 250 && p.y < 650;
    });
    return { name: f.properties.name, at: m.project(f.geometry.coordinates) };
  }, MSP_MONTLUCON);
  await page.mouse.click(other.at.x, other.at.y);
  await page.waitForSelector('.editor-popup #site-resize', { timeout: 15000 });
  await page.fill('#site-delta', '2');
  await page.click('#site-resize');
  await editorShows(page, 3);
  check((await page.textContent('#whatif-actions > li:nth-child(3)')).includes(`${other.name} : +2 médecins`), `resize: ${await page.textContent('#whatif-actions')}`);
  check(number(await page.textContent('#sa-gained')) > 0, 'resize: two GPs more are gained nowhere');
  await page.close();
}

// 10. Coverage: the 30-minute panel draws the chosen sites, its figures and its legend.
{
  expectedErrors = ['/api/suggest'];
  const page = await newPage();
  await page.goto(`${base}/`);
  await rendered(page, 'communes-fill', 100);
  await page.click('#coverage-toggle');
  await page.waitForSelector('#coverage-form');
  check(await page.inputValue('#coverage-minutes') === '30', 'coverage: 30 minutes by default');
  await page.selectOption('#coverage-dep', '03');
  // One new site in Allier leaves communes beyond 30 minutes (three leave none).
  await page.fill('#coverage-k', '1');
  await page.click('#coverage-run');
  await page.waitForSelector('#coverage-figures', { timeout: 60000 });
  const n = number(await page.textContent('#coverage-sites'));
  check(n >= 1 && (await page.$$('.plan-site:not(.swatch-site)')).length === n, `coverage: ${n} sites, markers differ`);
  const legend = await page.textContent('#coverage-legend');
  check(legend.includes('site proposé') && legend.includes('MSP existante') && legend.includes('Trajets : temps estimés'), `coverage legend: ${legend}`);
  // The communes beyond 30 minutes are drawn when the server lists them (a `plan`).
  const plan = await page.evaluate(async () => 'plan' in (await (await fetch('/api/suggest?objective=coverage&minutes=30&dep=03&k=3')).json()));
  results.coverage_plan = plan;
  if (plan) {
    check(legend.includes('commune à plus de 30 min'), `coverage legend: ${legend}`);
    results.coverage_beyond_features = await rendered(page, 'coverage-beyond', 1);
  } else {
    check(await page.$('#coverage-no-plan'), 'coverage: the panel does not say the communes beyond are not drawn');
  }
  await page.screenshot({ path: `${out}/coverage.png` });
  // Set covering: the plan where the server solves it, its refusal in the panel where it does not.
  await page.selectOption('#coverage-objective', 'set_cover');
  await page.click('#coverage-run');
  await page.waitForSelector('#coverage-figures, #coverage-error', { timeout: 60000 });
  const setCover = await page.evaluate(async () => (await fetch('/api/suggest?objective=set_cover&minutes=30&dep=03')).status);
  results.set_cover_status = setCover;
  if (setCover === 200) check(await page.$('#coverage-figures'), 'set covering: no figures');
  else check((await page.textContent('#coverage-error')).includes('set_cover'), 'set covering: the refusal is not shown');
  await page.screenshot({ path: `${out}/coverage-set-cover.png` });
  await page.close();
  expectedErrors = [];
}

// 11. Projection: the APL in 5 years, its figures, map and legend where the server projects;
// the panel says so where it does not.
{
  expectedErrors = ['/api/projection'];
  const page = await newPage();
  await page.goto(`${base}/`);
  await rendered(page, 'communes-fill', 100);
  await page.click('#projection-toggle');
  await page.waitForSelector('#projection-form');
  await page.click('#projection-run');
  await page.waitForSelector('#projection-figures, #projection-error', { timeout: 60000 });
  const status = await page.evaluate(async () => (await fetch('/api/projection?years=5&horizon=10&replacement=0.3&rows=none')).status);
  results.projection_status = status;
  if (status === 200) {
    await page.waitForFunction(() => document.querySelector('#legend')?.textContent.includes('APL dans 5 ans'), null, { timeout: 30000 });
    results.projection_communes = await rendered(page, 'communes-fill', 100);
    const drawn = await page.evaluate(() => window.medatlasMap.queryRenderedFeatures({ layers: ['communes-fill'] }).filter((f) => typeof f.properties.apl_projected === 'number').length);
    check(drawn > 100, `projection map: ${drawn} communes with apl_projected`);
    const legend = await page.textContent('#legend');
    check(legend.includes('passe sous 2,5') && legend.includes('30 %'), `projection legend: ${legend}`);
    check(number(await page.textContent('#projection-crossing')) > 0, 'projection: no commune crosses 2.5');
    check((await page.textContent('#projection')).includes('Non pris en compte'), 'projection: assumptions missing');
  } else {
    check((await page.textContent('#projection-error')).includes('ne calcule pas encore de projection'), 'projection: the panel does not say the server cannot project');
  }
  await page.screenshot({ path: `${out}/projection.png` });
  await page.close();
  expectedErrors = [];
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
