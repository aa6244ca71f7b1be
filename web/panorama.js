// Panorama of the care supply (seed 000): the zoning of a basin's communes, a circle per commune
// whose area is its number of GPs and, inside, a circle for those near retirement, with labels.
// /panorama/{name} (a preset), /panorama?communes=03185,03082,... or /panorama?dep=03.
// Labels are HTML markers: the server has no glyphs and nothing may come from elsewhere.
import { request, esc, fmt, legendHtml } from './common.js';

const MAX_RADIUS_PX = 26;
const reportEl = document.getElementById('report');
const report = (html) => { reportEl.hidden = false; reportEl.innerHTML = html; };

const preset = location.pathname.match(/^\/panorama\/([^/]+)\/?$/);
const query = new URLSearchParams(location.search);
let api = null;
if (preset) api = `/api/panorama?preset=${encodeURIComponent(decodeURIComponent(preset[1]))}`;
else if (query.get('communes') !== null) api = `/api/panorama?communes=${encodeURIComponent(query.get('communes'))}`;
else if (query.get('dep') !== null) api = `/api/panorama?dep=${encodeURIComponent(query.get('dep'))}`;

const [styleRes, metaRes, dataRes] = await Promise.all([
  request('/styles/panorama.json'),
  request('/api/meta'),
  api ? request(api) : Promise.resolve({ ok: false, body: { error: 'Say which communes: /panorama/montlucon, /panorama?communes=03185,03082 or /panorama?dep=03.' } }),
]);
const style = styleRes.body;
const meta = metaRes.body;
const data = dataRes.ok ? dataRes.body : null;
window.medatlasPanorama = data;

const map = new maplibregl.Map({ container: 'map', style, center: [2.6, 46.35], zoom: 8.5, attributionControl: false });
window.medatlasMap = map;
map.addControl(new maplibregl.NavigationControl(), 'bottom-right');

if (!data) {
  report(`<strong>Nothing to show.</strong> ${esc(dataRes.body.error)}`);
  document.getElementById('legend').innerHTML = legendHtml(style.metadata['medatlas:legend'], meta);
} else {
  show(data);
}

function show(data) {
  document.getElementById('title').textContent = data.title;
  const nearKnown = data.totals.gp_near_retirement !== null;
  // Estimated near-retirement values are expected values (fractions): one decimal, and said.
  const nearEstimated = nearKnown && data.totals.gp_near_retirement_estimated;
  const nearFmt = (c) => (c.gp_near_retirement_estimated ? `≈${fmt(c.gp_near_retirement, 1)}` : fmt(c.gp_near_retirement));
  const near = nearKnown
    ? nearEstimated
      ? `${fmt(data.totals.gp_near_retirement, 1)} near retirement (55+, estimated: GPs × département share of physicians aged 55+, DREES 2025)`
      : `${fmt(data.totals.gp_near_retirement)} near retirement (55+)`
    : 'near-retirement counts not in this atlas';
  document.getElementById('definition').textContent = `${data.definition}. ${fmt(data.totals.gp)} GPs, ${near}, ${fmt(data.totals.population)} inhabitants.`;
  if (data.rejected.length || !data.communes.length) {
    const items = data.rejected.map((r) => `<li><code>${esc(r.input)}</code>: ${esc(r.reason)}</li>`).join('');
    const none = data.communes.length ? '' : '<div><strong>None of the codes names a commune of this atlas.</strong></div>';
    report(`${none}<div>${data.rejected.length} code(s) left out:</div><ul id="rejected">${items}</ul>`);
  }

  const codes = data.communes.map((c) => c.code);
  const withGps = data.communes.filter((c) => c.gp > 0).sort((a, b) => b.gp - a.gp);
  const maxGp = withGps.length ? withGps[0].gp : 1;
  // Circle areas proportional to counts: radius = scale × √count, the largest MAX_RADIUS_PX.
  const scale = MAX_RADIUS_PX / Math.sqrt(maxGp);
  const radius = (n) => scale * Math.sqrt(n);

  const z = data.zoning;
  const counts = { ZIP: z.zip, ZAC: z.zac, HZ: z.hz };
  const ref = data.reference;
  const refLine = ref ? `<div class="source">${esc(ref.source)}: ${ref.zip} ZIP, ${ref.zac} ZAC, ${ref.hz} HZ (its zoning is older than ours)</div>` : '';
  const other = z.other || z.none ? `<div class="source">${z.other} other class, ${z.none} without a class</div>` : '';
  const refs = [maxGp, Math.max(1, Math.round(maxGp / 4)), 1].filter((v, i, a) => a.indexOf(v) === i);
  const h = 2 * MAX_RADIUS_PX + 4;
  const circles = refs.map((v) => `<circle cx="${MAX_RADIUS_PX + 2}" cy="${h - 2 - radius(v)}" r="${radius(v)}" fill="#fff" stroke="#08519c" stroke-width="1.5"/>` +
    `<text x="${2 * MAX_RADIUS_PX + 10}" y="${Math.max(10, h - 2 - 2 * radius(v) + 6)}" font-size="11">${v}</text>`).join('');
  document.getElementById('legend').innerHTML =
    legendHtml(style.metadata['medatlas:legend'], meta, counts, true) + refLine + other +
    `<div style="margin-top:6px"><strong>GPs per commune</strong></div>` +
    `<svg width="${2 * MAX_RADIUS_PX + 40}" height="${h}" aria-label="circle sizes">${circles}</svg>` +
    (nearKnown
      ? `<div class="row"><span class="swatch" style="background:#6a51a3;border-radius:50%"></span>inner circle: GPs near retirement (55+)${nearEstimated ? ', estimated' : ''}</div>` +
        `<div class="source">Labels: commune, GPs (of which near retirement${nearEstimated ? '; ≈ estimated: GPs × département share of physicians aged 55+, DREES 2025' : ''})</div>`
      : '<div class="source">No near-retirement counts in this atlas: no inner circles. Labels: commune, GPs</div>');

  map.on('load', () => {
    map.setFilter('communes-fill', ['in', ['get', 'code'], ['literal', codes]]);
    map.addSource('gps', {
      type: 'geojson',
      data: {
        type: 'FeatureCollection',
        features: withGps.map((c) => ({
          type: 'Feature',
          geometry: { type: 'Point', coordinates: c.position },
          properties: { code: c.code, name: c.name, gp: c.gp, near: c.gp_near_retirement || 0, r: radius(c.gp), rn: radius(c.gp_near_retirement || 0) },
        })),
      },
    });
    // Under the MSP points, so that a site stays visible on its commune's circle.
    map.addLayer({ id: 'gp-circles', type: 'circle', source: 'gps', paint: { 'circle-radius': ['get', 'r'], 'circle-color': '#ffffff', 'circle-opacity': 0.85, 'circle-stroke-color': '#08519c', 'circle-stroke-width': 1.5 } }, 'msp');
    map.addLayer({ id: 'near-circles', type: 'circle', source: 'gps', filter: ['>', ['get', 'near'], 0], paint: { 'circle-radius': ['get', 'rn'], 'circle-color': '#6a51a3', 'circle-opacity': 0.9 } }, 'msp');
    if (data.bbox) map.fitBounds([[data.bbox[0], data.bbox[1]], [data.bbox[2], data.bbox[3]]], { padding: 40, duration: 0, maxZoom: 10.5 });
    placeLabels();
    map.on('zoomend', placeLabels);
  });

  // Labels beside their circle, largest communes first; each takes the first side (right, left,
  // above, below) where it overlaps no label already placed, else the side where it overlaps
  // least. Recomputed after a zoom, since circles keep their size in pixels.
  const labelled = data.communes.filter((c) => c.labelled).sort((a, b) => (b.gp || 0) - (a.gp || 0));
  const markers = labelled.map((c) => {
    const el = document.createElement('div');
    el.className = 'place-label';
    el.dataset.code = c.code;
    const near = c.gp_near_retirement === null || c.gp_near_retirement === undefined ? '' : ` (${nearFmt(c)})`;
    el.innerHTML = `${esc(c.name)} <small>${fmt(c.gp)}${near}</small>`;
    return { c, el, marker: new maplibregl.Marker({ element: el, anchor: 'left' }).setLngLat(c.position) };
  });
  function placeLabels() {
    const placed = [];
    const overlap = (a, b) => Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1)) * Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
    for (const m of markers) {
      if (!m.el.isConnected) m.marker.addTo(map);
      const w = m.el.offsetWidth, h = m.el.offsetHeight;
      const p = map.project(m.c.position);
      const r = radius(m.c.gp || 0) + 3;
      const sides = [
        ['left', [r, 0], { x1: p.x + r, y1: p.y - h / 2, x2: p.x + r + w, y2: p.y + h / 2 }],
        ['right', [-r, 0], { x1: p.x - r - w, y1: p.y - h / 2, x2: p.x - r, y2: p.y + h / 2 }],
        ['bottom', [0, -r], { x1: p.x - w / 2, y1: p.y - r - h, x2: p.x + w / 2, y2: p.y - r }],
        ['top', [0, r], { x1: p.x - w / 2, y1: p.y + r, x2: p.x + w / 2, y2: p.y + r + h }],
      ];
      let best = sides[0], bestOverlap = Infinity;
      for (const side of sides) {
        const o = placed.reduce((sum, b) => sum + overlap(side[2], b), 0);
        if (o < bestOverlap) { best = side; bestOverlap = o; }
        if (o === 0) break;
      }
      m.el.classList.remove('maplibregl-marker-anchor-left', 'maplibregl-marker-anchor-right', 'maplibregl-marker-anchor-top', 'maplibregl-marker-anchor-bottom');
      m.marker.remove();
      m.marker = new maplibregl.Marker({ element: m.el, anchor: best[0], offset: best[1] }).setLngLat(m.c.position).addTo(map);
      placed.push(best[2]);
    }
  }

  const tooltip = document.getElementById('tooltip');
  const byCode = new Map(data.communes.map((c) => [c.code, c]));
  map.on('mousemove', 'communes-fill', (e) => {
    const c = byCode.get(e.features[0].properties.code);
    if (!c) return;
    tooltip.hidden = false;
    tooltip.style.left = `${e.point.x + 12}px`;
    tooltip.style.top = `${e.point.y + 12}px`;
    tooltip.textContent = `${c.name} (${c.code}) — ${c.zoning || 'no zoning'}; GPs: ${fmt(c.gp)}, near retirement: ${c.gp_near_retirement === null || c.gp_near_retirement === undefined ? 'n/a' : nearFmt(c)}${c.gp_near_retirement_estimated ? ' (estimated)' : ''}`;
  });
  map.on('mouseleave', 'communes-fill', () => { tooltip.hidden = true; });
}
