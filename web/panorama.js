// Panorama of the care supply (seed 000): the zoning of a basin's communes, a circle per commune
// whose area is its number of GPs and, inside, a circle for those near retirement, with labels.
// /panorama/{name} (a preset), /panorama?communes=03185,03082,... or /panorama?dep=03.
// Labels are HTML markers: the server has no glyphs and nothing may come from elsewhere.
import { request, legendModel, legendHtml, serverText } from './common.js';
import { t, h, d, raw, num, applyStatic, languageSwitch, maplibreLocale, withLang } from './i18n.js';
import { exportMapPng, downloadBlob } from './export.js';

applyStatic();
document.title = t('panorama.page_title');
document.getElementById('panorama-tools').append(languageSwitch());
const viewerLink = document.getElementById('viewer-link');
viewerLink.href = withLang('/');

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
  api ? request(api) : Promise.resolve({ ok: false, body: { error: null } }),
]);
const style = styleRes.body;
const meta = metaRes.body;
window.medatlasMeta = meta;
const data = dataRes.ok ? dataRes.body : null;
window.medatlasPanorama = data;

const map = new maplibregl.Map({ container: 'map', style, center: [2.6, 46.35], zoom: 8.5, attributionControl: false, locale: maplibreLocale });
window.medatlasMap = map;
map.addControl(new maplibregl.NavigationControl(), 'bottom-right');

let legendNow = null;
let labelRows = [];
if (!data) {
  document.getElementById('title').textContent = t('panorama.title_generic');
  report(`<strong>${h('panorama.nothing')}</strong> ${dataRes.body.error ? serverText(dataRes.body.error) : h('panorama.say_which')}`);
  legendNow = legendModel('panorama', style.metadata['medatlas:legend'], meta);
  document.getElementById('legend').innerHTML = legendHtml(legendNow);
} else {
  show(data);
}

function show(data) {
  document.getElementById('title').innerHTML = data.title === 'Panorama' ? h('panorama.title_generic') : d(data.title);
  const nearKnown = data.totals.gp_near_retirement !== null;
  // Estimated near-retirement values are expected values (fractions): one decimal, and said.
  const nearEstimated = nearKnown && data.totals.gp_near_retirement_estimated;
  const nearFmt = (c) => (c.gp_near_retirement_estimated ? `≈${num(c.gp_near_retirement, 1)}` : num(c.gp_near_retirement));
  const near = nearKnown
    ? nearEstimated
      ? h('panorama.near_estimated', { n: num(data.totals.gp_near_retirement, 1) })
      : h('panorama.near_counted', { n: num(data.totals.gp_near_retirement) })
    : h('panorama.near_unknown');
  document.getElementById('definition').innerHTML = `${serverText(data.definition)}. ${h('panorama.totals', { gp: num(data.totals.gp), near: raw(near), inh: num(data.totals.population) })}`;
  if (data.rejected.length || !data.communes.length) {
    const items = data.rejected.map((r) => `<li><code>${d(r.input)}</code> : ${serverText(r.reason)}</li>`).join('');
    const none = data.communes.length ? '' : `<div><strong>${h('panorama.none_known')}</strong></div>`;
    report(`${none}<div>${h('panorama.left_out', { n: num(data.rejected.length) })}</div><ul id="rejected">${items}</ul>`);
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
  const refLine = ref ? `<div class="source">${h('panorama.reference', { source: ref.source, zip: num(ref.zip), zac: num(ref.zac), hz: num(ref.hz) })}</div>` : '';
  const other = z.other || z.none ? `<div class="source">${h('panorama.other_classes', { other: num(z.other), none: num(z.none) })}</div>` : '';
  const refs = [maxGp, Math.max(1, Math.round(maxGp / 4)), 1].filter((v, i, a) => a.indexOf(v) === i);
  const hgt = 2 * MAX_RADIUS_PX + 4;
  const circles = refs.map((v) => `<circle cx="${MAX_RADIUS_PX + 2}" cy="${hgt - 2 - radius(v)}" r="${radius(v)}" fill="#fff" stroke="#08519c" stroke-width="1.5"/>` +
    `<text x="${2 * MAX_RADIUS_PX + 10}" y="${Math.max(10, hgt - 2 - 2 * radius(v) + 6)}" font-size="11">${num(v)}</text>`).join('');
  const model = legendModel('panorama', style.metadata['medatlas:legend'], meta, { counts, msp: true });
  const innerRow = nearKnown ? h(nearEstimated ? 'panorama.inner_estimated' : 'panorama.inner') : null;
  const labelsNote = nearKnown ? h(nearEstimated ? 'panorama.labels_estimated' : 'panorama.labels') : h('panorama.labels_no_near');
  document.getElementById('legend').innerHTML =
    legendHtml(model) + refLine + other +
    `<div class="block"><strong>${h('panorama.gps_per_commune')}</strong></div>` +
    `<svg width="${2 * MAX_RADIUS_PX + 40}" height="${hgt}" role="img" aria-label="${t('panorama.circle_sizes')}">${circles}</svg>` +
    (innerRow ? `<div class="row"><span class="swatch" style="background:#6a51a3;border-radius:50%"></span><span>${innerRow}</span></div>` : '') +
    `<div class="source">${labelsNote}</div>`;
  // The exported image's legend: the same, circles as rows.
  legendNow = {
    ...model,
    rows: [
      ...model.rows.map((r) => (r.point ? { ...r, color: '#1b1b1b' } : r)),
      ...refs.map((v) => ({ color: '#ffffff', stroke: '#08519c', circle: Math.max(1.5, (radius(v) / MAX_RADIUS_PX) * 7), label: h(v === 1 ? 'panorama.n_gps_one' : 'panorama.n_gps', { n: num(v) }) })),
      ...(innerRow ? [{ color: '#6a51a3', point: true, label: innerRow }] : []),
    ],
    notes: [...model.notes, ...(refLine ? [refLine] : []), labelsNote],
  };

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
    el.innerHTML = `${d(c.name)} <small>${d(num(c.gp))}${near ? d(near) : ''}</small>`;
    const row = { c, r: radius(c.gp || 0), side: 'left', text: `${c.name} ${num(c.gp)}${near}` };
    labelRows.push(row);
    return { c, el, row, marker: new maplibregl.Marker({ element: el, anchor: 'left' }).setLngLat(c.position) };
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
      m.row.side = best[0];
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
    tooltip.innerHTML = h(c.gp_near_retirement_estimated ? 'panorama.tooltip_estimated' : 'panorama.tooltip', { name: c.name, code: c.code, zoning: c.zoning || t('zoning.none'), gp: num(c.gp), near: c.gp_near_retirement === null || c.gp_near_retirement === undefined ? num(null) : nearFmt(c) });
  });
  map.on('mouseleave', 'communes-fill', () => { tooltip.hidden = true; });
}

/** The panorama as a print-ready PNG: the map, its labels (HTML markers on the page, drawn
 * here beside their circles), the legend with the circle sizes, sources, vintages and date. */
async function exportPng(options = {}) {
    return exportMapPng(map, {
    title: document.getElementById('title').innerHTML,
    subtitle: document.getElementById('definition').innerHTML,
    legend: legendNow,
    meta,
    extra: (ctx, off, box, pr) => {
      const pt = (options.dpi || 300) / 72;
      ctx.font = `600 ${Math.round(7.5 * pt)}px system-ui, sans-serif`;
      ctx.textBaseline = 'middle';
      ctx.lineJoin = 'round';
      // Each label on the side the page chose for it (so that they do not overlap).
      for (const l of labelRows) {
        const p = off.project(l.c.position);
        const gap = (l.r + 3) * pr;
        const dx = { left: gap, right: -gap, top: 0, bottom: 0 }[l.side];
        const dy = { left: 0, right: 0, top: gap + 5 * pt, bottom: -gap - 5 * pt }[l.side];
        ctx.textAlign = { left: 'left', right: 'right', top: 'center', bottom: 'center' }[l.side];
        const x = box.x + p.x * pr + dx;
        const y = box.y + p.y * pr + dy;
        if (x < box.x || x > box.x + box.w || y < box.y || y > box.y + box.h) continue;
        ctx.strokeStyle = '#ffffff';
        ctx.lineWidth = 2.5 * pr;
        ctx.strokeText(l.text, x, y);
        ctx.fillStyle = '#111111';
        ctx.fillText(l.text, x, y);
      }
      ctx.textBaseline = 'top';
      ctx.textAlign = 'left';
    },
    ...options,
  });
}
const exportButton = document.getElementById('export-png');
exportButton.addEventListener('click', async () => {
  exportButton.disabled = true;
  exportButton.textContent = t('export.working');
  try {
    const out = await exportPng();
    downloadBlob(out.blob, `medatlas-panorama-${new Date().toISOString().slice(0, 10)}.png`);
  } finally {
    exportButton.disabled = false;
    exportButton.textContent = t('export.button');
  }
});
window.medatlasPanoramaExport = exportPng;
