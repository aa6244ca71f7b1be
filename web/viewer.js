// medatlas viewer: thematic maps of GPs by commune with a switcher and legend, a hover tooltip,
// a commune panel, a search box, the scenario editor with saved scenarios and their comparison,
// and the coverage panel. Everything comes from this server: tiles, styles, API, and MapLibre
// itself (installed from npm by scripts/setup-web.sh).
import { request, esc, fmt, legendHtml } from './common.js';
import { openCommune, openSite } from './panel.js';
import { initSearch } from './search.js';
import { initWhatIf } from './whatif.js';
import { initCompare } from './compare.js';
import { initCoverage } from './coverage.js';
import { initProjection } from './projection.js';

const STYLES = [
  ['gp_density', 'GPs per 10,000'],
  ['gp_density_5y', 'GPs per 10,000 in 5 years'],
  ['near_retirement', 'Share near retirement'],
  ['zoning', 'Zoning (ZIP / ZAC / HZ)'],
  ['apl', 'APL computed by medatlas (2.5 threshold)'],
  ['apl_official', 'APL officielle DREES'],
];
/** The projected APL (`?projection=years,horizon,replacement`): shown from the projection panel. */
const PROJECTION_STYLE = 'apl_projection';
let projection = null;
/** The what-if map: only offered while a scenario is shown. */
const WHATIF_STYLE = ['apl_change', 'Variation de l’APL (scénario)'];

const params = new URLSearchParams(location.search);
/** Class method of the classed maps (the style's own unless the user picks one). */
let classes = ['jenks', 'quantiles'].includes(params.get('classes')) ? params.get('classes') : null;
let current = STYLES.some(([n]) => n === params.get('style')) ? params.get('style') : 'gp_density';
const [metaRes, styleRes, tilejson] = await Promise.all([request('/api/meta'), request(`/styles/${current}.json${classes ? `?classes=${classes}` : ''}`), request('/tiles/communes.json')]);
const meta = metaRes.body;
let style = styleRes.body;
// Opens on the atlas's extent (TileJSON bounds); an atlas with overseas départements spans
// the globe, so it opens on metropolitan France instead (the search box reaches the rest).
const METROPOLE = [-5.2, 41.3, 9.6, 51.1];
let bounds = tilejson.ok ? tilejson.body.bounds : METROPOLE;
if (bounds[2] - bounds[0] > 40) bounds = METROPOLE;
const map = new maplibregl.Map({ container: 'map', style, bounds, fitBoundsOptions: { padding: 30 }, attributionControl: false });
window.medatlasMap = map;
map.addControl(new maplibregl.NavigationControl(), 'top-left');

const legendEl = document.getElementById('legend');
const tooltip = document.getElementById('tooltip');
let scenarioId = null;

/** Layers drawn over the commune layer by the comparison and the coverage panel, kept across
 * style switches: id → {layer, legend (HTML, replaces the map's), wire(legend element),
 * tooltip(properties) → text or null}. */
const overlays = new Map();

function ensureOverlays() {
  if (!map.getSource('medatlas') || !map.getLayer('communes-fill')) return;
  for (const [id, o] of overlays) {
    if (o.layer && !map.getLayer(id)) map.addLayer(o.layer, map.getLayer('communes-line') ? 'communes-line' : undefined);
  }
}
map.on('styledata', ensureOverlays);

function setOverlay(id, overlay) {
  if (map.getLayer(id)) map.removeLayer(id);
  if (overlay) overlays.set(id, overlay);
  else overlays.delete(id);
  ensureOverlays();
  drawLegend();
}

function drawLegend() {
  const over = [...overlays.values()].reverse().find((o) => o.legend);
  if (over) {
    legendEl.innerHTML = over.legend;
    if (over.wire) over.wire(legendEl);
    return;
  }
  const legend = style.metadata && style.metadata['medatlas:legend'];
  const choices = scenarioId ? [...STYLES, WHATIF_STYLE] : STYLES;
  const options = choices.map(([n, t]) => `<option value="${n}"${n === current ? ' selected' : ''}>${esc(t)}</option>`).join('');
  const hasMsp = style.layers.some((l) => l.id === 'msp');
  const method = legend && legend.classes ? (classes || legend.classes.method) : null;
  const methodSelect = method
    ? `<label class="classes">Classes: <select id="classes-switcher" aria-label="class breaks">${[['jenks', 'Jenks natural breaks'], ['quantiles', 'quantiles']]
      .map(([v, t]) => `<option value="${v}"${v === method ? ' selected' : ''}>${t}</option>`).join('')}</select></label>`
    : '';
  legendEl.innerHTML = `<select id="style-switcher" aria-label="map">${options}</select>` + legendHtml(legend, meta, null, hasMsp) + methodSelect;
  document.getElementById('style-switcher').addEventListener('change', (e) => showStyle(e.target.value));
  document.getElementById('classes-switcher')?.addEventListener('change', (e) => { classes = e.target.value; showStyle(current); });
}

/** The style's JSON: the what-if one gets the scenario's tiles. */
async function loadStyle(name) {
  const q = new URLSearchParams();
  if (classes) q.set('classes', classes);
  if (name === PROJECTION_STYLE) q.set('projection', projection);
  const s = (await request(`/styles/${name}.json${q.size ? `?${q}` : ''}`)).body;
  if (name === WHATIF_STYLE[0]) {
    for (const src of Object.values(s.sources)) {
      if (src.tiles) src.tiles = src.tiles.map((t) => t.replace('{scenario}', encodeURIComponent(scenarioId)));
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

function updateUrl() {
  const q = new URLSearchParams();
  if (current !== 'gp_density' && current !== WHATIF_STYLE[0] && current !== PROJECTION_STYLE) q.set('style', current);
  if (classes) q.set('classes', classes);
  if (scenarioId) q.set('scenario', scenarioId);
  const s = q.toString();
  history.replaceState(null, '', s ? `?${s}` : location.pathname);
}

drawLegend();

map.on('mousemove', 'communes-fill', (e) => {
  const p = e.features[0].properties;
  const over = [...overlays.values()].reverse().map((o) => o.tooltip && o.tooltip(p)).find((t) => t);
  if (over) {
    tooltip.hidden = false;
    tooltip.style.left = `${e.point.x + 12}px`;
    tooltip.style.top = `${e.point.y + 12}px`;
    tooltip.textContent = over;
    return;
  }
  const legend = style.metadata['medatlas:legend'];
  const field = legend.field || 'zoning';
  const v = p[field];
  tooltip.hidden = false;
  tooltip.style.left = `${e.point.x + 12}px`;
  tooltip.style.top = `${e.point.y + 12}px`;
  tooltip.textContent = `${p.name} (${p.code}) — ${legend.title}: ${v === undefined ? 'n/a' : (typeof v === 'number' ? fmt(v, 3) : v)}`;
});
map.on('mouseleave', 'communes-fill', () => { tooltip.hidden = true; });

const compare = initCompare({ meta, setOverlay, onOpen: (id) => whatIf.load(id) });
const whatIf = initWhatIf(map, {
  meta,
  onSave: (saved) => compare.add(saved),
  // A scenario was made, changed or cleared: show its map, or go back to the one before.
  onScenario: async (id) => {
    // Cleared while its map was shown: back to the plain APL map.
    const plain = current === WHATIF_STYLE[0] ? 'apl' : current;
    scenarioId = id;
    await showStyle(id ? WHATIF_STYLE[0] : plain);
  },
});

map.on('click', 'msp', (e) => {
  // MapLibre empties e.features once the handler returns: read them first.
  const p = { ...e.features[0].properties, at: e.features[0].geometry.coordinates };
  if (whatIf.active()) whatIf.clickSite(e.lngLat, p);
  else openSite(map, e.lngLat, p);
});
map.on('click', 'communes-fill', (e) => {
  const p = { ...e.features[0].properties };
  // A click on an MSP point opens the site (or edits it), not the commune under it.
  if (map.getLayer('msp') && map.queryRenderedFeatures(e.point, { layers: ['msp'] }).length) return;
  if (whatIf.active()) return whatIf.clickMap(e.lngLat, p);
  openCommune(p.code);
});
map.on('mouseenter', 'msp', () => { map.getCanvas().style.cursor = 'pointer'; });
map.on('mouseleave', 'msp', () => { map.getCanvas().style.cursor = whatIf.active() ? 'crosshair' : ''; });

initSearch(map, (hit) => openCommune(hit.code));
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

if (params.get('scenario')) {
  // Once the first tiles are in, so that the scenario's MSP are found by name.
  if (!map.loaded()) await new Promise((resolve) => map.once('idle', resolve));
  await whatIf.load(params.get('scenario'));
}
