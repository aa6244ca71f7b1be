// The static map page: the atlas's thematic maps with their legends (sources and vintages of
// the figures), read from the PMTiles archive beside the page by HTTP range requests (the
// `pmtiles` protocol of MapLibre GL JS). Everything it loads is a file of its own folder,
// written by `medatlas tiles static`: site.json (the archive, its layers and bounds, the maps),
// meta.json (what the atlas says of its figures, as /api/meta), styles/{map}.json. Search,
// indicators of areas and scenarios need the medatlas server and are not here.
import { request, legendModel, legendHtml } from './common.js';
import { t, h, num, applyStatic, languageSwitch, maplibreLocale } from './i18n.js';

applyStatic();
document.title = t('static.title');
document.getElementById('top').append(languageSwitch());

/** A file of the folder, or an error that says which one failed. */
async function file(name) {
  const r = await request(name);
  if (!r.ok) throw new Error(`${name}: ${r.status}`);
  return r.body;
}

const [site, meta] = await Promise.all([file('site.json'), file('meta.json')]);
// The styles name the archive relative to the page; the protocol fetches what it is given, so
// it gets the archive's full address (the same origin as the page, wherever it is hosted).
const archive = new URL(site.archive, location.href).href;
const protocol = new pmtiles.Protocol();
maplibregl.addProtocol('pmtiles', protocol.tile);

const params = new URLSearchParams(location.search);
let current = site.maps.includes(params.get('style')) ? params.get('style') : site.default_map;

async function loadStyle(name) {
  const style = await file(`styles/${name}.json`);
  for (const source of Object.values(style.sources)) {
    if (source.url === `pmtiles://${site.archive}`) source.url = `pmtiles://${archive}`;
  }
  return style;
}

// Metropolitan France when the archive spans the overseas départements too (as the viewer).
const METROPOLE = [-5.2, 41.3, 9.6, 51.1];
const bounds = site.bounds[2] - site.bounds[0] > 40 ? METROPOLE : site.bounds;
let style = await loadStyle(current);
const map = new maplibregl.Map({ container: 'map', style, bounds, fitBoundsOptions: { padding: 30 }, attributionControl: false, locale: maplibreLocale });
window.medatlasMap = map;
map.addControl(new maplibregl.NavigationControl(), 'top-left');
map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');

const legendEl = document.getElementById('legend');
const tooltip = document.getElementById('tooltip');
function drawLegend() {
  const legend = style.metadata && style.metadata['medatlas:legend'];
  const options = site.maps.map((n) => `<option value="${n}"${n === current ? ' selected' : ''}>${h(`maps.${n}`)}</option>`).join('');
  const model = legendModel(current, legend, meta, { msp: style.layers.some((l) => l.id === 'msp') });
  legendEl.innerHTML = `<label class="visually-hidden" for="style-switcher">${h('legend.map_menu')}</label><select id="style-switcher">${options}</select>` +
    legendHtml(model) + `<div class="source">${h('static.archive', { layers: site.layers.join(', '), zooms: `${site.minzoom}–${site.maxzoom}` })}</div>`;
  document.getElementById('style-switcher').addEventListener('change', (e) => showStyle(e.target.value));
}

async function showStyle(name) {
  current = name;
  style = await loadStyle(name);
  map.setStyle(style);
  tooltip.hidden = true;
  drawLegend();
  const q = new URLSearchParams(location.search);
  if (name === site.default_map) q.delete('style'); else q.set('style', name);
  const s = q.toString();
  history.replaceState(null, '', s ? `?${s}` : location.pathname);
}

drawLegend();

map.on('mousemove', 'communes-fill', (e) => {
  const p = e.features[0].properties;
  const legend = style.metadata['medatlas:legend'];
  const v = p[legend.field || 'zoning'];
  const value = v === undefined ? num(null) : (typeof v === 'number' ? num(v, 3) : v);
  tooltip.hidden = false;
  tooltip.style.left = `${e.point.x + 12}px`;
  tooltip.style.top = `${e.point.y + 12}px`;
  tooltip.innerHTML = h('viewer.tooltip', { name: p.name, code: p.code, map: t(`maps.${current}`), value });
});
map.on('mouseleave', 'communes-fill', () => { tooltip.hidden = true; });
