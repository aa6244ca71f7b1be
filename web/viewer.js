// medatlas viewer: thematic maps of GPs by commune with a switcher and legend, a hover tooltip,
// a commune panel, a search box, the perimeter of one's own, the scenario editor with saved
// scenarios and their comparison, the coverage and projection panels, and the export of the map
// as a print-ready PNG. Every text comes from the dictionaries (i18n.js). Everything comes from
// this server: tiles, styles, API, and MapLibre itself (installed from npm by
// scripts/setup-web.sh).
import { request, legendModel, legendHtml } from './common.js';
import { t, h, num, lang, applyStatic, languageSwitch, maplibreLocale, withLang } from './i18n.js';
import { openCommune, openSite, closePanel } from './panel.js';
import { initSearch } from './search.js';
import { initWhatIf } from './whatif.js';
import { initCompare } from './compare.js';
import { initCoverage } from './coverage.js';
import { initProjection } from './projection.js';
import { initPerimeter } from './perimeter.js';
import { exportMapPng, downloadBlob } from './export.js';

applyStatic();
document.title = t('page.title');
document.getElementById('toolbar').append(languageSwitch());
const panoramaLink = document.getElementById('panorama-link');
panoramaLink.href = withLang(panoramaLink.getAttribute('href'));

const STYLES = ['gp_density', 'gp_density_5y', 'near_retirement', 'zoning', 'apl', 'apl_official'];
/** Maps by EPCI, offered when the server has them (the EPCI tile layer and its styles). */
const EPCI_STYLES = ['epci_density', 'epci_apl'];
/** The projected APL (`?projection=years,horizon,replacement`): shown from the projection panel. */
const PROJECTION_STYLE = 'apl_projection';
let projection = null;
/** The what-if map: only offered while a scenario is shown. */
const WHATIF_STYLE = 'apl_change';

const params = new URLSearchParams(location.search);
/** Class method of the classed maps (the style's own unless the user picks one). */
let classes = ['jenks', 'quantiles'].includes(params.get('classes')) ? params.get('classes') : null;
let current = [...STYLES, ...EPCI_STYLES].includes(params.get('style')) ? params.get('style') : 'gp_density';
const [metaRes, styleRes, tilejson] = await Promise.all([request('/api/meta'), request(`/styles/${current}.json${classes ? `?classes=${classes}` : ''}`), request('/tiles/communes.json')]);
const meta = metaRes.body;
window.medatlasMeta = meta;
// The catalog lists the tile layers: an `epci` layer means the EPCI maps are served.
const catalog = await request('/catalog');
if (catalog.ok && catalog.body.tiles && catalog.body.tiles.epci) STYLES.push(...EPCI_STYLES);
let style = styleRes.body;
// Opens on the atlas's extent (TileJSON bounds); an atlas with overseas départements spans
// the globe, so it opens on metropolitan France instead (the search box reaches the rest).
const METROPOLE = [-5.2, 41.3, 9.6, 51.1];
let bounds = tilejson.ok ? tilejson.body.bounds : METROPOLE;
if (bounds[2] - bounds[0] > 40) bounds = METROPOLE;
const map = new maplibregl.Map({ container: 'map', style, bounds, fitBoundsOptions: { padding: 30 }, attributionControl: false, locale: maplibreLocale, doubleClickZoom: true });
window.medatlasMap = map;
map.addControl(new maplibregl.NavigationControl(), 'top-left');
map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');

const legendEl = document.getElementById('legend');
// On a phone the legend starts folded (viewer.css): open, it would cover half the map.
if (matchMedia('(max-width: 640px)').matches) document.getElementById('legend-box').open = false;
const tooltip = document.getElementById('tooltip');
let scenarioId = null;

/** Layers drawn over the commune layer by the perimeter, the comparison and the coverage panel,
 * kept across style switches: id → {layer(s), legend (a legend model, replaces the map's; with
 * `extra` HTML under it), wire(legend element), tooltip(properties) → HTML or null}. */
const overlays = new Map();

function ensureOverlays() {
  if (!map.getSource('medatlas') || !map.getLayer('communes-fill')) return;
  for (const o of overlays.values()) {
    for (const layer of o.layers || (o.layer ? [o.layer] : [])) {
      if (layer.source !== 'medatlas' && !map.getSource(layer.source) && o.sources) {
        for (const [id, src] of Object.entries(o.sources)) if (!map.getSource(id)) map.addSource(id, src);
      }
      if (!map.getLayer(layer.id)) map.addLayer(layer, layer.on_top ? undefined : (map.getLayer('communes-line') ? 'communes-line' : undefined));
    }
  }
}
map.on('styledata', ensureOverlays);

function setOverlay(id, overlay) {
  const old = overlays.get(id);
  for (const layer of old ? old.layers || (old.layer ? [old.layer] : []) : []) if (map.getLayer(layer.id)) map.removeLayer(layer.id);
  if (map.getLayer(id)) map.removeLayer(id);
  if (overlay) overlays.set(id, overlay);
  else overlays.delete(id);
  ensureOverlays();
  drawLegend();
}

/** The legend model shown: an overlay's, else the map's. */
function currentLegend() {
  const over = [...overlays.values()].reverse().find((o) => o.legend);
  if (over) return over.legend;
  const legend = style.metadata && style.metadata['medatlas:legend'];
  return legendModel(current, legend, meta, { msp: style.layers.some((l) => l.id === 'msp') });
}

function drawLegend() {
  const over = [...overlays.values()].reverse().find((o) => o.legend);
  if (over) {
    legendEl.innerHTML = legendHtml(over.legend) + (over.extra || '');
    if (over.wire) over.wire(legendEl);
    return;
  }
  const legend = style.metadata && style.metadata['medatlas:legend'];
  const choices = scenarioId ? [...STYLES, WHATIF_STYLE] : STYLES;
  const options = choices.map((n) => `<option value="${n}"${n === current ? ' selected' : ''}>${h(`maps.${n}`)}</option>`).join('');
  const method = legend && legend.classes ? (classes || legend.classes.method) : null;
  const methodSelect = method
    ? `<label class="classes">${h('legend.classes_menu')} <select id="classes-switcher">${['jenks', 'quantiles']
      .map((v) => `<option value="${v}"${v === method ? ' selected' : ''}>${h(`legend.method_${v}`)}</option>`).join('')}</select></label>`
    : '';
  legendEl.innerHTML = `<label class="visually-hidden" for="style-switcher">${h('legend.map_menu')}</label><select id="style-switcher">${options}</select>` + legendHtml(currentLegend()) + methodSelect;
  document.getElementById('style-switcher').addEventListener('change', (e) => showStyle(e.target.value));
  document.getElementById('classes-switcher')?.addEventListener('change', (e) => { classes = e.target.value; showStyle(current); });
}

/** The style's JSON: the what-if one gets the scenario's tiles. */
async function loadStyle(name) {
  const q = new URLSearchParams();
  if (classes) q.set('classes', classes);
  if (name === PROJECTION_STYLE) q.set('projection', projection);
  const s = (await request(`/styles/${name}.json${q.size ? `?${q}` : ''}`)).body;
  if (name === WHATIF_STYLE) {
    for (const src of Object.values(s.sources)) {
      if (src.tiles) src.tiles = src.tiles.map((u) => u.replace('{scenario}', encodeURIComponent(scenarioId)));
    }
  }
  return s;
}

async function showStyle(name) {
  current = name;
  tooltip.hidden = true; // it would name the previous map's value until the mouse moves
  style = await loadStyle(name);
  map.setStyle(style);
  drawLegend();
  updateUrl();
}

/** The address keeps the map, its classes, the scenario, the language and what the perimeter
 * puts there (`perimeter`, `polygon`). */
function updateUrl(changes = {}) {
  const q = new URLSearchParams(location.search);
  const set = (k, v) => (v ? q.set(k, v) : q.delete(k));
  set('style', current !== 'gp_density' && current !== WHATIF_STYLE && current !== PROJECTION_STYLE ? current : null);
  set('classes', classes);
  set('scenario', scenarioId);
  for (const [k, v] of Object.entries(changes)) set(k, v);
  const s = q.toString();
  history.replaceState(null, '', s ? `?${s}` : location.pathname);
}

drawLegend();

function showTooltip(e, html) {
  tooltip.hidden = false;
  tooltip.style.left = `${e.point.x + 12}px`;
  tooltip.style.top = `${e.point.y + 12}px`;
  tooltip.innerHTML = html;
}

map.on('mousemove', 'communes-fill', (e) => {
  const p = e.features[0].properties;
  const over = [...overlays.values()].reverse().map((o) => o.tooltip && o.tooltip(p)).find((x) => x);
  if (over) return showTooltip(e, over);
  const legend = style.metadata['medatlas:legend'];
  const field = legend.field || 'zoning';
  const v = p[field];
  const value = v === undefined ? num(null) : (typeof v === 'number' ? num(v, 3) : v);
  showTooltip(e, h('viewer.tooltip', { name: p.name, code: p.code, map: t(`maps.${current}`), value }));
});
map.on('mouseleave', 'communes-fill', () => { tooltip.hidden = true; });

const compare = initCompare({ meta, setOverlay, onOpen: (id) => whatIf.load(id) });
const whatIf = initWhatIf(map, {
  meta,
  onSave: (saved) => compare.add(saved),
  // A scenario was made, changed or cleared: show its map, or go back to the one before.
  onScenario: async (id) => {
    // Cleared while its map was shown: back to the plain APL map.
    const plain = current === WHATIF_STYLE ? 'apl' : current;
    scenarioId = id;
    await showStyle(id ? WHATIF_STYLE : plain);
  },
});
const perimeter = initPerimeter(map, { meta, setOverlay, updateUrl, params });

map.on('click', 'msp', (e) => {
  if (perimeter.drawing()) return;
  // MapLibre empties e.features once the handler returns: read them first.
  const p = { ...e.features[0].properties, at: e.features[0].geometry.coordinates };
  if (whatIf.active()) whatIf.clickSite(e.lngLat, p);
  else if (!perimeter.active()) openSite(map, e.lngLat, p);
});
map.on('click', 'communes-fill', (e) => {
  const p = { ...e.features[0].properties };
  if (perimeter.drawing()) return;
  if (perimeter.active()) return perimeter.toggle(p);
  // A click on an MSP point opens the site (or edits it), not the commune under it.
  if (map.getLayer('msp') && map.queryRenderedFeatures(e.point, { layers: ['msp'] }).length) return;
  if (whatIf.active()) return whatIf.clickMap(e.lngLat, p);
  openCommune(p.code, { onArea: (area) => perimeter.addArea(area) });
});
map.on('mouseenter', 'msp', () => { map.getCanvas().style.cursor = 'pointer'; });
map.on('mouseleave', 'msp', () => { map.getCanvas().style.cursor = whatIf.active() || perimeter.active() ? 'crosshair' : ''; });

initSearch(map, meta, (hit) => {
  if (hit.kind === 'commune') {
    if (perimeter.active()) perimeter.addArea({ kind: 'commune', code: hit.code, name: hit.name });
    else openCommune(hit.code, { onArea: (area) => perimeter.addArea(area) });
  } else {
    perimeter.addArea(hit);
  }
});
initCoverage(map, { meta, setOverlay });
let beforeProjection = current;
initProjection({
  meta,
  setOverlay,
  // A projection's map (years,horizon,replacement), or back to the map shown before it.
  showProjection: async (p) => {
    if (p && current !== PROJECTION_STYLE) beforeProjection = current;
    projection = p;
    await showStyle(p ? PROJECTION_STYLE : beforeProjection);
  },
});

/** The current map as a print-ready PNG (A4 landscape at `dpi`): title, legend, scale, sources,
 * vintages and date drawn beside it. Resolves to {blob, width, height, layout}. */
async function exportPng(options = {}) {
  const model = currentLegend();
  return exportMapPng(map, {
    title: model.title,
    subtitle: perimeter.title(),
    legend: model,
    meta,
    ...options,
  });
}
const exportButton = document.getElementById('export-png');
exportButton.addEventListener('click', async () => {
  exportButton.disabled = true;
  exportButton.textContent = t('export.working');
  try {
    const out = await exportPng();
    downloadBlob(out.blob, `medatlas-${current}-${new Date().toISOString().slice(0, 10)}.png`);
  } finally {
    exportButton.disabled = false;
    exportButton.textContent = t('export.button');
  }
});
window.medatlasViewer = { exportPng, currentLegend, lang, perimeter };

// Escape closes the box that has the focus (or the commune panel), and gives the focus back to
// the toolbar.
document.addEventListener('keydown', (e) => {
  if (e.key !== 'Escape' || e.defaultPrevented) return;
  const box = document.activeElement && document.activeElement.closest('#panel, #planner > aside');
  if (box && box.id === 'panel') { closePanel(); return; }
  if (box) { box.querySelector('.close')?.click(); document.getElementById(`${box.id}-toggle`)?.focus(); return; }
  if (!document.getElementById('panel').hidden) closePanel();
});

if (params.get('scenario')) {
  // Once the first tiles are in, so that the scenario's MSP are found by name.
  if (!map.loaded()) await new Promise((resolve) => map.once('idle', resolve));
  await whatIf.load(params.get('scenario'));
}
