// The viewer in headless Chromium (Debian's, driven by playwright-core): every step must render
// something, answer what a user would see, and stay on the server's origin. Fails on console
// errors, page errors, failed requests, HTTP errors (except where a step expects one) and any
// request to another origin. The pages open in French (the browser's language is French) unless
// a step asks for English (`?lang=en`, or an English browser); every page and panel walked is
// checked against the dictionaries (checkLanguage). Screenshots and exported PNGs go to
// $SCREENSHOT_DIR.
// Usage: node tests/browser/viewer.mjs http://127.0.0.1:PORT
import { chromium } from '../../web/node_modules/playwright-core/index.mjs';
import { writeFileSync } from 'node:fs';
import fr from '../../web/i18n/fr.js';
import en from '../../web/i18n/en.js';

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

async function newPage({ locale = 'fr-FR', viewport = { width: 1200, height: 800 } } = {}) {
  const page = await browser.newPage({ viewport, locale, acceptDownloads: true });
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
    // A download (a perimeter's CSV, an exported PNG) is a blob the browser hands over and aborts.
    if (error === 'net::ERR_ABORTED' && r.url().startsWith('blob:')) return;
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

// ---- Language: every visible text of a page must come from the active dictionary. ----
// Dictionary texts are cut at their placeholders and tags into fragments; a fragment's words
// (letters only, lower case) and every run of consecutive words form the language's vocabulary
// of phrases. A text node of the page (outside data, marked class="d") passes when its words can
// be cut into runs that are all phrases of the active language: French words on an English page
// (or English ones on a French page) are not, unless the other dictionary uses them too (APL,
// MSP, EPCI, "Population"...). Attributes people read (title, aria-label, placeholder, alt) and
// the options of visible menus are checked the same way.
const DICTS = { fr, en };
function dictionaryTexts(o) {
  return Object.values(o).flatMap((v) => (typeof v === 'string' ? [v] : Array.isArray(v) ? v : v && typeof v === 'object' ? dictionaryTexts(v) : []));
}
const words = (s) => (s.toLowerCase().match(/\p{L}+/gu) || []);
function phrases(dict) {
  const set = new Set();
  for (const text of dictionaryTexts(dict)) {
    for (const fragment of text.replace(/<[^>]*>/g, '\u0000').split(/\{\w+\}|\u0000/)) {
      const w = words(fragment);
      for (let i = 0; i < w.length; i++) for (let j = i + 1; j <= w.length; j++) set.add(w.slice(i, j).join(' '));
    }
  }
  return set;
}
const PHRASES = { fr: phrases(fr), en: phrases(en) };
/** Whether the words of `text` can be cut into phrases of `lang`. */
function fromDictionary(text, lang) {
  const w = words(text);
  const ok = [true];
  for (let j = 1; j <= w.length; j++) {
    ok[j] = false;
    for (let i = j - 1; i >= 0 && !ok[j]; i--) ok[j] = ok[i] && PHRASES[lang].has(w.slice(i, j).join(' '));
  }
  return ok[w.length];
}
/** A dictionary's templates with values ({name}) as regular expressions: attributes (a title, a
 * label) cannot mark their values as data, so they must read as one of the templates, whole. */
function templates(dict) {
  return dictionaryTexts(dict).filter((t) => /\{\w+\}/.test(t) && /\p{L}/u.test(t.replace(/\{\w+\}|<[^>]*>/g, ''))).map((t) => new RegExp(`^${t.replace(/<[^>]*>/g, '').split(/\{\w+\}/).map((p) => p.replace(/[.*+?^$()|[\]\\]/g, '\\$&')).join('.+')}$`, 's'));
}
const TEMPLATES = { fr: templates(fr), en: templates(en) };

/** The texts a reader sees on the page (outside data), with where they are. */
async function visibleTexts(page) {
  return page.evaluate(() => {
    const out = [];
    const skip = (el) => !el || el.closest('.d, script, style, [hidden]') || !el.checkVisibility({ checkOpacity: false, checkVisibilityCSS: true });
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = n.textContent.replace(/\s+/g, ' ').trim();
      if (!text || skip(n.parentElement) || n.parentElement.closest('option, svg text')) continue;
      out.push({ text, where: n.parentElement.id || n.parentElement.className || n.parentElement.tagName });
    }
    for (const el of document.querySelectorAll('[title], [aria-label], [placeholder], [alt]')) {
      if (skip(el) && !(el.closest('.maplibregl-ctrl') && el.checkVisibility())) continue;
      for (const a of ['title', 'aria-label', 'placeholder', 'alt']) if (el.getAttribute(a)) out.push({ text: el.getAttribute(a), where: `${el.id || el.tagName}@${a}`, attribute: true });
    }
    for (const o of document.querySelectorAll('select option')) {
      if (!skip(o.closest('select')) && !o.closest('.d')) out.push({ text: o.textContent.trim(), where: `option of ${o.closest('select').id}` });
    }
    return out;
  });
}
/** Fails on any visible text of the page not from the `lang` dictionary; returns how many were checked. */
async function checkLanguage(page, lang, what) {
  const texts = await visibleTexts(page);
  const bad = texts.filter((t) => !fromDictionary(t.text, lang) && !(t.attribute && TEMPLATES[lang].some((re) => re.test(t.text))));
  for (const b of bad.slice(0, 8)) problems.push(`${what} (${lang}): not from the ${lang} dictionary: "${b.text}" in ${b.where}`);
  check(texts.length > 5, `${what}: only ${texts.length} texts found`);
  return texts.length;
}
/** A number as the page writes it (1 234,5 / 1,234.5; 12,3 % ; a true minus sign). */
function parseNumber(text, lang) {
  let s = text.replace(/[\s\u202f\u00a0]/g, '').replace('−', '-').replace('%', '');
  s = lang === 'fr' ? s.replace(/\./g, '').replace(',', '.') : s.replace(/,/g, '');
  return Number(s);
}

// ---- Colour-blind readers: the palettes stay distinct under simulated colour blindness. ----
// Machado, Oliveira & Fernandes (2009) full-severity matrices on linear RGB, then CIE76 ΔE in Lab.
const CVD = {
  deuteranopia: [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
  protanopia: [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
  tritanopia: [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
};
function lab(hex, m) {
  const lin = [1, 3, 5].map((i) => { const c = parseInt(hex.slice(i, i + 2), 16) / 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
  const [r, g, b] = m ? m.map((row) => Math.min(1, Math.max(0, row[0] * lin[0] + row[1] * lin[1] + row[2] * lin[2]))) : lin;
  const xyz = [(0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b, (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883];
  const f = xyz.map((v) => (v > 0.008856 ? Math.cbrt(v) : 7.787 * v + 16 / 116));
  return [116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])];
}
function minDeltaE(colors, m) {
  let min = Infinity;
  for (let i = 0; i < colors.length; i++) for (let j = i + 1; j < colors.length; j++) {
    const a = lab(colors[i], m), b = lab(colors[j], m);
    min = Math.min(min, Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]));
  }
  return min;
}

// ---- Exported PNGs. ----
/** Checks an export ({png: base64, width, height, layout, checks}) made in the page. */
function checkExport(name, out, legendTitle) {
  const bytes = Buffer.from(out.png, 'base64');
  writeFileSync(`${out.dir}/${name}.png`, bytes);
  const w = bytes.readUInt32BE(16), hgt = bytes.readUInt32BE(20);
  check(w === 3508 && hgt === 2480 && out.width === 3508, `${name}: ${w} × ${hgt} px, not A4 landscape at 300 dpi (3508 × 2480)`);
  check(bytes.includes(Buffer.from('pHYs')) && bytes.readUInt32BE(bytes.indexOf('pHYs') + 4) === 11811, `${name}: no 300 dpi pHYs chunk`);
  const kinds = new Set(out.layout.map((l) => l.kind));
  for (const k of ['map', 'title', 'legend-title', 'legend-row', 'swatch', 'scale', 'sources', 'date', 'legend-source']) check(kinds.has(k), `${name}: nothing drawn as ${k}`);
  const lt = out.layout.find((l) => l.kind === 'legend-title');
  check(lt && lt.text.includes(legendTitle), `${name}: legend title ${lt && lt.text}, expected ${legendTitle}`);
  const sources = out.layout.find((l) => l.kind === 'sources');
  check(sources && /DREES/.test(sources.text) && /SanteScope/.test(sources.text), `${name}: sources ${sources && sources.text}`);
  // The sources medatlas ships are named in French (by their id), never by the server's English
  // name: the footer holds the French names of the GP counts' and the zoning's sources.
  for (const s of out.shipped) {
    const french = fr.source_name[s.id];
    if (!french || french === s.name) continue;
    for (const l of out.layout) check(!l.text || !l.text.includes(s.name), `${name}: English name of ${s.id} in ${l.kind}: ${l.text}`);
    if (['gp', 'zoning', 'msp'].some((p) => s.provides.startsWith(p))) check(sources && sources.text.includes(french), `${name}: sources without the French name of ${s.id}: ${sources && sources.text}`);
  }
  // Pixels read back from the PNG itself: the map is painted, each swatch has its colour, the
  // text blocks have ink.
  const c = out.checks;
  check(c.mapPainted > 0.12 && c.mapColours >= 8, `${name}: the map looks blank: ${JSON.stringify(c)}`);
  check(c.swatchesOk === c.swatches && c.swatches >= 3, `${name}: ${c.swatchesOk} of ${c.swatches} legend swatches have their colour`);
  check(c.inkyText === c.texts && c.texts >= 5, `${name}: ${c.inkyText} of ${c.texts} text blocks have ink`);
}
/** Runs an export in the page (`call` returns the export's promise) and reads the PNG back. */
async function exportIn(page, call) {
  return page.evaluate(async (call) => {
    const out = await (new Function(`return ${call}`))();
    const bitmap = await createImageBitmap(out.blob);
    const canvas = document.createElement('canvas');
    canvas.width = bitmap.width; canvas.height = bitmap.height;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(bitmap, 0, 0);
    const at = (x, y) => ctx.getImageData(Math.round(x), Math.round(y), 1, 1).data;
    const map = out.layout.find((l) => l.kind === 'map');
    let painted = 0, n = 0;
    const colours = new Set();
    for (let y = map.y + 10; y < map.y + map.h - 10; y += 23) for (let x = map.x + 10; x < map.x + map.w - 10; x += 23) {
      const d = at(x, y);
      n++;
      // Not the map's background (#eef0f2): communes, borders, points.
      if (Math.abs(d[0] - 0xee) + Math.abs(d[1] - 0xf0) + Math.abs(d[2] - 0xf2) > 12) painted++;
      colours.add((d[0] >> 4) * 256 + (d[1] >> 4) * 16 + (d[2] >> 4));
    }
    const hex = (d) => `#${[d[0], d[1], d[2]].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
    const near = (a, b) => [1, 3, 5].every((i) => Math.abs(parseInt(a.slice(i, i + 2), 16) - parseInt(b.slice(i, i + 2), 16)) <= 6);
    const swatches = out.layout.filter((l) => l.kind === 'swatch');
    const swatchesOk = swatches.filter((s) => near(hex(at(s.x + s.w / 2, s.y + s.h / 2)), s.color)).length;
    const texts = out.layout.filter((l) => ['title', 'legend-title', 'legend-row', 'sources', 'date', 'scale'].includes(l.kind));
    const inky = (l) => {
      const d = ctx.getImageData(Math.round(l.x), Math.round(l.y), Math.max(1, Math.round(Math.min(l.w, 2000))), Math.max(1, Math.round(l.h))).data;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 120 && d[i + 1] < 120 && d[i + 2] < 120) return true;
      return false;
    };
    const buf = new Uint8Array(await out.blob.arrayBuffer());
    let bin = '';
    for (let i = 0; i < buf.length; i += 0x8000) bin += String.fromCharCode(...buf.subarray(i, i + 0x8000));
    return {
      png: btoa(bin), width: out.width, height: out.height, layout: out.layout.map((l) => ({ ...l })),
      checks: { mapPainted: painted / n, mapColours: colours.size, swatches: swatches.length, swatchesOk, texts: texts.length, inkyText: texts.filter(inky).length },
    };
  }, call);
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
  check(legend.includes('Médecins généralistes pour 10 000 habitants') && legend.includes('Effectifs de médecins : SanteScope 2026') && legend.includes('sont estimés') && legend.includes('MSP'), `legend: ${legend}`);
  check(!legend.toLowerCase().includes('synth'), `the legend calls real counts synthetic: ${legend}`);
  check(await page.evaluate(() => document.documentElement.lang) === 'fr', 'a French browser does not get the French page');
  results.texts_checked = { index_fr: await checkLanguage(page, 'fr', '/') };
  await page.screenshot({ path: `${out}/index.png` });

  // 2. Click Montluçon: its panel with indicators, nearest MSP, aids and downloads.
  await clickAt(page, MONTLUCON);
  await page.waitForSelector('#panel-name', { timeout: 15000 });
  const panel = await page.textContent('#panel');
  check((await page.textContent('#panel-name')).includes('Montluçon'), 'panel name');
  for (const text of ['Médecins pour 10 000 habitants', 'APL', 'Zonage', 'ZAC', 'MSP Montluçon (Bien-Assis)', 'aides départementales en 2022']) check(panel.includes(text), `panel lacks "${text}": ${panel}`);
  // Both APLs side by side: ours and DREES's published 2023 value for Montluçon (3.25 in the sheet, 3,25 in French).
  check(panel.includes('APL calculée par medatlas') && /APL officielle DREES 2023\s*3,25/.test(panel), `panel lacks the two APLs: ${panel}`);
  // 55 GPs (SanteScope 2026) of which 55 × 0.474… = 26.1 near retirement, estimated.
  for (const text of ['Effectifs de médecins : SanteScope 2026', '26,1 estimé']) check(panel.includes(text), `panel lacks "${text}": ${panel}`);
  // Numbers the French way: 35 653 inhabitants (a narrow no-break space between thousands).
  check(await page.textContent('#panel-population td.num') === '35\u202f653', `population: ${await page.textContent('#panel-population td.num')}`);
  results.texts_checked.panel_fr = await checkLanguage(page, 'fr', 'commune panel');
  // The default's counts are real: nothing on the page (map, legend, panel) calls them synthetic.
  const visible = (await page.evaluate(() => document.body.innerText)).toLowerCase();
  check(!visible.includes('synth'), 'the default page calls something synthetic');
  const csv = await page.evaluate(async () => (await fetch(document.getElementById('download-csv').href)).text());
  check(csv.split('\n')[1]?.startsWith('03185,Montluçon'), `CSV download: ${csv}`);
  await page.screenshot({ path: `${out}/panel.png` });

  // 3. Every thematic map renders, with its legend.
  const maps = await page.$$eval('#style-switcher option', (os) => os.map((o) => o.value));
  for (const m of maps) {
    await page.selectOption('#style-switcher', m);
    await page.waitForFunction((m) => document.querySelector('#style-switcher').value === m, m);
    // The EPCI maps draw intercommunalities (46 on the default), the others communes.
    if (m.startsWith('epci')) await rendered(page, 'epci-fill', 20);
    else await rendered(page, 'communes-fill', 100);
    await page.screenshot({ path: `${out}/map-${m}.png` });
  }
  results.maps = maps;
  check(maps.length >= 6, `maps: ${maps}`);
  // The official APL map draws DREES's values, with its own legend.
  await page.selectOption('#style-switcher', 'apl_official');
  await page.waitForFunction(() => document.querySelector('#style-switcher').value === 'apl_official');
  await rendered(page, 'communes-fill', 100);
  const official = await page.evaluate(() => window.medatlasMap.queryRenderedFeatures({ layers: ['communes-fill'] }).filter((f) => typeof f.properties.apl_official === 'number').length);
  check(official > 100, `official APL map: ${official} communes with apl_official`);
  const officialLegend = await page.textContent('#legend');
  check(officialLegend.includes('APL officielle DREES 2023'), `official legend: ${officialLegend}`);
  results.texts_checked.official_fr = await checkLanguage(page, 'fr', 'official APL map');
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
  check(await page.getAttribute('#search-input', 'aria-expanded') === 'true' && await page.getAttribute('#search-input', 'aria-activedescendant') === 'search-opt-0', 'search: the combobox does not say its list is open');
  results.texts_checked.search_fr = await checkLanguage(page, 'fr', 'search results');
  await page.press('#search-input', 'Enter');
  await page.waitForFunction(() => document.getElementById('panel-name')?.textContent.includes('Néris-les-Bains'), null, { timeout: 15000 });
  // The keyboard: the panel takes the focus, Escape closes it and gives it back to the search.
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'panel-name', null, { timeout: 5000 });
  await page.keyboard.press('Escape');
  check(await page.evaluate(() => document.getElementById('panel').hidden && document.activeElement.id === 'search-input'), 'Escape does not close the panel back to the search');
  await page.waitForFunction(() => window.medatlasMap.getZoom() > 9 && !window.medatlasMap.isMoving(), null, { timeout: 15000 });
  await page.screenshot({ path: `${out}/search.png` });
  await page.fill('#search-input', 'Xyzzyville');
  await page.waitForSelector('#search-results li.empty', { timeout: 10000 });
  check((await page.textContent('#search-results')).includes('Aucun résultat pour « Xyzzyville »'), 'search: no match');
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
  results.texts_checked.compare_fr = await checkLanguage(page, 'fr', 'scenarios and comparison');
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
  results.texts_checked.coverage_fr = await checkLanguage(page, 'fr', 'coverage panel');
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
    check(legend.includes('passe sous 2,5') && /30\s%/.test(legend), `projection legend: ${legend}`);
    results.texts_checked.projection_fr = await checkLanguage(page, 'fr', 'projection panel');
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
  check(legend.includes('Hors zonage') && legend.includes('56 ZIP, 27 ZAC, 7 hors zonage'), `panorama legend: ${legend}`);
  const definition = await page.textContent('#definition');
  check(definition.includes('proches de la retraite (55 ans et plus, estimés'), `panorama totals say the near-retirement count is estimated: ${definition}`);
  results.texts_checked.panorama_fr = await checkLanguage(page, 'fr', 'panorama');
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
  check(report.includes('99999') && report.includes('abc') && report.includes('n’est pas un code commune INSEE'), `panorama report: ${report}`);
  results.texts_checked.panorama_codes_fr = await checkLanguage(page, 'fr', 'panorama with unknown codes');
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

// 12. English on request: the same pages with ?lang=en (and for an English browser), checked
// against the English dictionary, numbers the English way.
{
  const page = await newPage({ locale: 'en-GB' });
  await page.goto(`${base}/`);
  await rendered(page, 'communes-fill', 100);
  check(await page.evaluate(() => document.documentElement.lang) === 'en', 'an English browser does not get the English page');
  await page.close();
}
{
  const page = await newPage();
  await page.goto(`${base}/?lang=en`);
  await rendered(page, 'communes-fill', 100);
  const legend = await page.textContent('#legend');
  check(legend.includes('GPs per 10,000 inhabitants') && legend.includes('quantiles over the') && legend.includes('1,000 inhabitants'), `English legend: ${legend}`);
  results.texts_checked.index_en = await checkLanguage(page, 'en', '/?lang=en');
  await clickAt(page, MONTLUCON);
  await page.waitForSelector('#panel-name', { timeout: 15000 });
  check(await page.textContent('#panel-population td.num') === '35,653', `English population: ${await page.textContent('#panel-population td.num')}`);
  check(await page.textContent('#panel-apl-official') === '3.25', `English official APL: ${await page.textContent('#panel-apl-official')}`);
  results.texts_checked.panel_en = await checkLanguage(page, 'en', 'commune panel (en)');
  await page.screenshot({ path: `${out}/panel-en.png` });
  // The switch keeps the page and goes back to French.
  await page.click('#lang-switch');
  await page.waitForFunction(() => document.documentElement.lang === 'fr' && new URLSearchParams(location.search).get('lang') === 'fr', null, { timeout: 15000 });
  // Let the French page finish loading: leaving it earlier aborts its own requests.
  await rendered(page, 'communes-fill', 100);
  await page.goto(`${base}/?lang=en`);
  await rendered(page, 'communes-fill', 100);
  await page.click('#coverage-toggle');
  await page.selectOption('#coverage-dep', '03');
  await page.fill('#coverage-k', '1');
  await page.click('#coverage-run');
  await page.waitForSelector('#coverage-figures', { timeout: 60000 });
  results.texts_checked.coverage_en = await checkLanguage(page, 'en', 'coverage panel (en)');
  await page.click('#coverage .close');
  await page.click('#projection-toggle');
  await page.click('#projection-run');
  await page.waitForSelector('#projection-figures, #projection-error', { timeout: 60000 });
  results.texts_checked.projection_en = await checkLanguage(page, 'en', 'projection panel (en)');
  await page.screenshot({ path: `${out}/projection-en.png` });
  await page.close();
}
{
  const page = await newPage();
  await page.goto(`${base}/panorama/montlucon?lang=en`);
  await page.waitForSelector('.place-label[data-code="03185"]', { timeout: 30000 });
  await rendered(page, 'gp-circles', 10);
  const legend = await page.textContent('#legend');
  check(legend.includes('56 ZIP, 27 ZAC, 7 outside the zoning') && legend.includes('GPs per commune'), `English panorama legend: ${legend}`);
  results.texts_checked.panorama_en = await checkLanguage(page, 'en', 'panorama (en)');
  await page.close();
}

// 13. A perimeter of one's own: a polygon drawn on the map, its figures equal to POST
// /api/indicators/basin for the same communes, its link; an EPCI from the search, equal to the
// EPCI's own row of /api/indicators; the download of its communes.
/** The perimeter's figures as shown ({field: text}) and its communes. */
async function perimeterShown(page) {
  return page.evaluate(() => ({
    cells: Object.fromEntries([...document.querySelectorAll('#perimeter-figures td[data-field]')].map((td) => [td.dataset.field, td.querySelector('.d')?.textContent ?? ''])),
    codes: window.medatlasViewer.perimeter.state().codes,
  }));
}
async function basin(page, body) {
  return page.evaluate(async (body) => (await (await fetch('/api/indicators/basin', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()), body);
}
/** The shown figures against an area's values, to the digits shown. */
function sameFigures(shown, area, lang, what) {
  const digits = { population: 0, commune_count: 0, gp: 0, gp_near_retirement: 1, gp_per_10k: 1, gp_per_10k_projected: 1, apl: 2, apl_official: 2, msp_count: 0, near_retirement_share: 3 };
  for (const [field, d] of Object.entries(digits)) {
    const text = shown.cells[field];
    const want = area[field];
    if (want === null || want === undefined) { check(text === '—', `${what}: ${field} shows ${text} for no value`); continue; }
    let got = parseNumber(text, lang);
    if (field === 'near_retirement_share') got /= 100;
    check(Math.abs(got - want) <= 0.5 * 10 ** -d + 1e-9, `${what}: ${field} shows ${text}, the API says ${want}`);
  }
}
{
  const page = await newPage();
  await page.goto(`${base}/`);
  await rendered(page, 'communes-fill', 100);
  await page.evaluate(() => window.medatlasMap.jumpTo({ center: [2.6, 46.34], zoom: 10 }));
  await rendered(page, 'communes-fill', 20);
  await page.click('#perimeter-toggle');
  await page.click('#perimeter-draw');
  const ring = [[2.52, 46.30], [2.68, 46.30], [2.68, 46.39], [2.52, 46.39]];
  for (const p of ring.slice(0, -1)) { await clickAt(page, p); await page.waitForTimeout(350); }
  const last = await page.evaluate((p) => window.medatlasMap.project(p), ring[3]);
  await page.mouse.dblclick(last.x, last.y);
  await page.waitForSelector('#perimeter-figures', { timeout: 30000 });
  await page.waitForFunction(() => document.querySelector('#perimeter-figures th:nth-child(3)')?.textContent, null, { timeout: 15000 });
  const shown = await perimeterShown(page);
  const polygon = await page.evaluate(() => window.medatlasViewer.perimeter.state().polygon);
  check(polygon && polygon.length === 5, `polygon: ${JSON.stringify(polygon)}`);
  const byPolygon = await basin(page, { polygon: { type: 'Polygon', coordinates: [polygon] } });
  const byCodes = await basin(page, { codes: shown.codes });
  check(shown.codes.length >= 3 && JSON.stringify(shown.codes) === JSON.stringify(byPolygon.communes), `polygon perimeter: shows ${shown.codes}, the API finds ${byPolygon.communes}`);
  check(shown.codes.includes('03185'), 'polygon perimeter: Montluçon is not in it');
  sameFigures(shown, byPolygon.area, 'fr', 'polygon perimeter vs POST basin {polygon}');
  sameFigures(shown, byCodes.area, 'fr', 'polygon perimeter vs POST basin {codes}');
  results.perimeter_polygon = { communes: shown.codes.length, population: shown.cells.population };
  results.texts_checked.perimeter_fr = await checkLanguage(page, 'fr', 'perimeter panel');
  await page.screenshot({ path: `${out}/perimeter-polygon.png` });
  // Its link reopens it.
  const link = await page.inputValue('#perimeter-url');
  check(new URL(link).searchParams.get('polygon'), `perimeter link: ${link}`);
  const again = await newPage();
  await again.goto(link);
  await again.waitForSelector('#perimeter-figures', { timeout: 30000 });
  const reopened = await perimeterShown(again);
  check(JSON.stringify(reopened) === JSON.stringify(shown), `the polygon's link reopens ${JSON.stringify(reopened)}`);
  await again.close();

  // An EPCI from the search: Montluçon Communauté, equal to its own row.
  await page.click('#perimeter-clear');
  await page.fill('#search-input', 'Montluçon Communauté');
  await page.waitForSelector('#search-results li[data-kind="epci"]', { timeout: 15000 });
  await page.click('#search-results li[data-kind="epci"]');
  await page.waitForFunction(() => document.querySelector('#perimeter-figures td[data-field="commune_count"]'), null, { timeout: 30000 });
  const epci = await perimeterShown(page);
  const row = await page.evaluate(async () => (await (await fetch('/api/indicators?level=epci&dep=03')).json()).areas.find((a) => a.code === '200071082'));
  check(epci.codes.length === row.commune_count, `EPCI perimeter: ${epci.codes.length} communes, the EPCI has ${row.commune_count}`);
  sameFigures(epci, row, 'fr', 'EPCI perimeter vs its /api/indicators?level=epci row');
  sameFigures(epci, (await basin(page, { codes: epci.codes })).area, 'fr', 'EPCI perimeter vs POST basin {codes}');
  results.perimeter_epci = { communes: epci.codes.length, population: epci.cells.population };
  await page.screenshot({ path: `${out}/perimeter-epci.png` });
  const epciLink = await page.inputValue('#perimeter-url');
  const third = await newPage();
  await third.goto(epciLink);
  await third.waitForSelector('#perimeter-figures', { timeout: 30000 });
  check(JSON.stringify(await perimeterShown(third)) === JSON.stringify(epci), 'the EPCI perimeter\'s link does not reopen it');
  await third.close();
  // Its communes as CSV: a header and one row per commune.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#perimeter-communes-csv')]);
  const csv = (await (await download.createReadStream()).toArray()).join('');
  const lines = csv.trim().split('\n');
  check(lines.length === epci.codes.length + 1 && lines.slice(1).every((l) => epci.codes.includes(l.split(',')[0])), `communes CSV: ${lines.length} lines`);
  // A département from the panel of one of its communes.
  await page.click('#perimeter .close');
  await page.keyboard.press('Escape');
  await clickAt(page, MONTLUCON);
  await page.waitForSelector('#panel-dep', { timeout: 15000 });
  await page.click('#panel-dep');
  await page.waitForFunction(() => Number(document.querySelector('#perimeter-figures td[data-field="commune_count"] .d')?.textContent.replace(/\D/g, '')) > 100, null, { timeout: 30000 });
  const dep = await perimeterShown(page);
  const allier = await page.evaluate(async () => (await (await fetch('/api/indicators?level=departement&dep=03')).json()).areas[0]);
  sameFigures(dep, allier, 'fr', 'département perimeter vs its /api/indicators row');
  results.perimeter_dep = dep.codes.length;
  await page.close();
}

// 14. Maps that go into a report: the PNG of / and of the panorama (A4 landscape, 300 dpi),
// read back; a commune's summary printed on one page.
const shipped = (await (await fetch(`${base}/api/meta`)).json()).sources.filter((s) => s.id);
check(shipped.some((s) => s.id === 'santescope_2026'), `/api/meta names no shipped source by id: ${JSON.stringify(shipped)}`);
{
  const page = await newPage();
  await page.goto(`${base}/`);
  await rendered(page, 'communes-fill', 100);
  const out1 = await exportIn(page, 'window.medatlasViewer.exportPng()');
  checkExport('export-index', { ...out1, dir: out, shipped }, 'Médecins généralistes pour 10 000 habitants');
  results.export_index = { ...out1.checks, size: [out1.width, out1.height] };
  // The summary of a commune, printed: the panel alone with a small map, on one A4 page.
  await clickAt(page, MONTLUCON);
  await page.waitForSelector('#panel-print', { timeout: 15000 });
  await page.evaluate(async () => { await (await import('/web/export.js')).preparePrint(document.getElementById('panel'), window.medatlasMap); });
  await page.emulateMedia({ media: 'print' });
  const hiddenToolbar = await page.evaluate(() => getComputedStyle(document.getElementById('toolbar')).display === 'none' && getComputedStyle(document.querySelector('#panel .print-map')).display === 'block');
  check(hiddenToolbar, 'print: the toolbar is printed or the small map is not');
  const pdf = await page.pdf({ format: 'A4' });
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
  check(pages === 1, `print: the commune's summary takes ${pages} pages`);
  writeFileSync(`${out}/print-commune.pdf`, pdf);
  await page.screenshot({ path: `${out}/print-commune.png`, fullPage: true });
  await page.close();
}
{
  const page = await newPage();
  await page.goto(`${base}/panorama/montlucon`);
  await page.waitForSelector('.place-label[data-code="03185"]', { timeout: 30000 });
  await rendered(page, 'gp-circles', 10);
  const out2 = await exportIn(page, 'window.medatlasPanoramaExport()');
  checkExport('export-panorama', { ...out2, dir: out, shipped }, 'Zonage des ARS');
  results.export_panorama = { ...out2.checks, size: [out2.width, out2.height] };
  check(out2.layout.some((l) => l.kind === 'legend-row' && l.text.includes('médecins')), 'panorama export: no circle sizes in the legend');
  await page.close();
}

// 15. Usable by everyone: palettes distinct for colour-blind readers; a phone.
{
  const styles = {};
  for (const name of ['zoning', 'apl', 'gp_density', 'near_retirement', 'apl_change']) {
    const legend = (await (await fetch(`${base}/styles/${name}.json`)).json()).metadata['medatlas:legend'];
    styles[name] = legend.categories ? legend.categories.map((c) => c[1]) : legend.colors;
  }
  results.palettes_min_delta_e = {};
  for (const [name, colors] of Object.entries(styles)) {
    for (const [kind, m] of Object.entries(CVD)) {
      const de = minDeltaE(colors, m);
      results.palettes_min_delta_e[`${name}/${kind}`] = Math.round(de);
      // Adjacent classes of a 7-class diverging ramp are close by design; 5 classes or fewer must stay well apart.
      check(de >= (colors.length > 5 ? 4 : 10), `palette ${name} under ${kind}: two classes ${de.toFixed(1)} ΔE apart`);
    }
  }
  const page = await newPage({ viewport: { width: 390, height: 844 } });
  await page.goto(`${base}/`);
  await rendered(page, 'communes-fill', 50);
  await page.screenshot({ path: `${out}/phone.png` });
  check(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'phone: the page is wider than the screen');
  check(await page.evaluate(() => !document.getElementById('legend-box').open), 'phone: the legend does not start folded');
  await clickAt(page, MONTLUCON);
  await page.waitForSelector('#panel-name', { timeout: 15000 });
  const sheet = await page.evaluate(() => { const r = document.getElementById('panel').getBoundingClientRect(); return { top: r.top, bottom: r.bottom, width: r.width }; });
  check(sheet.width >= 380 && Math.abs(sheet.bottom - 844) <= 1 && sheet.top >= 844 * 0.45, `phone: the panel is not a bottom sheet: ${JSON.stringify(sheet)}`);
  await page.screenshot({ path: `${out}/phone-panel.png` });
  await page.close();
}

await browser.close();
console.log(JSON.stringify({ results, problems }, null, 1));
if (problems.length) process.exit(1);
