// "Mon territoire": a perimeter of one's own and its diagnostic. With the button pressed, a
// click on a commune adds or removes it; "Dessiner un polygone" takes the vertices clicked on the
// map and closes the polygon on a double click (or Enter; Escape gives up); the search and the
// commune panel add a whole EPCI or département. The diagnostic is POST /api/indicators/basin
// for the communes (or the polygon, which the server resolves to communes by town hall), beside
// the same figures for the perimeter's département and region (GET /api/indicators). The address
// reopens it (`?perimeter=code,code…` or `?polygon=lon,lat;lon,lat…`); its figures and its
// communes download as CSV and GeoJSON.
import { request, tableRow as row, serverText } from './common.js';
import { t, h, d, num, pct, esc } from './i18n.js';
import { downloadBlob, printSummary } from './export.js';

export const PERIMETER_LAYER = 'perimeter-fill';
const OUTLINE_LAYER = 'perimeter-line';
const DRAW_SOURCE = 'perimeter-draw';
/** Longest perimeter kept in the address as codes (beyond, the link says so). */
const MAX_LINK_CODES = 2000;

/** The département of a commune code (2A/2B, 97x). */
const depOf = (code) => (code.startsWith('97') ? code.slice(0, 3) : code.slice(0, 2));

export function initPerimeter(map, { meta, setOverlay, updateUrl, params }) {
  const toggle = document.getElementById('perimeter-toggle');
  const box = document.getElementById('perimeter');
  let on = false;
  let codes = new Set();
  let polygon = null; // the closed ring, when the perimeter is a drawn polygon
  let parts = []; // what the user added, for the title: [{kind, name}]
  let drawing = null; // vertices [lon, lat] while a polygon is drawn
  let answer = null;
  let context = null; // {dep, region} rows of /api/indicators
  let error = null;
  let seq = 0;
  let timer = null;

  function setMode(value) {
    on = value;
    toggle.setAttribute('aria-pressed', String(on));
    map.getCanvas().style.cursor = on ? 'crosshair' : '';
    if (!on) stopDrawing();
    render();
    if (on) box.focus({ preventScroll: true });
  }
  toggle.addEventListener('click', () => setMode(!on));

  function body() {
    return polygon ? { name: title(), polygon: { type: 'Polygon', coordinates: [polygon] } } : { name: title(), codes: [...codes].sort() };
  }

  /** The perimeter's name: what was added, or its commune count. */
  function title() {
    if (polygon) return t('perimeter.drawn');
    if (!codes.size) return '';
    const named = parts.filter((p) => p.kind !== 'commune').map((p) => p.name);
    const singles = parts.filter((p) => p.kind === 'commune').length;
    if (named.length && !singles) return named.join(' + ');
    if (named.length) return `${named.join(' + ')} ${t('perimeter.and_communes', { n: num(singles) })}`;
    return t('perimeter.n_communes', { n: num(codes.size) });
  }

  function drawSelection() {
    const list = [...codes];
    if (!list.length && !drawing) { setOverlay(PERIMETER_LAYER, null); return; }
    const ring = drawing ? drawing : [];
    setOverlay(PERIMETER_LAYER, {
      sources: { [DRAW_SOURCE]: { type: 'geojson', data: drawData(ring) } },
      layers: [
        { id: PERIMETER_LAYER, type: 'fill', source: 'medatlas', 'source-layer': 'communes', filter: ['in', ['get', 'code'], ['literal', list]], paint: { 'fill-color': '#ffffff', 'fill-opacity': 0.35 } },
        { id: OUTLINE_LAYER, type: 'line', source: 'medatlas', 'source-layer': 'communes', filter: ['in', ['get', 'code'], ['literal', list]], paint: { 'line-color': '#111111', 'line-width': 2 }, on_top: true },
        { id: 'perimeter-draw-line', type: 'line', source: DRAW_SOURCE, paint: { 'line-color': '#111111', 'line-width': 2, 'line-dasharray': [2, 1] }, on_top: true },
        { id: 'perimeter-draw-points', type: 'circle', source: DRAW_SOURCE, filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 4, 'circle-color': '#111111', 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.5 }, on_top: true },
      ],
      tooltip: (p) => (codes.has(p.code) ? h('perimeter.tooltip_in', { name: p.name, code: p.code }) : null),
    });
    map.getSource(DRAW_SOURCE)?.setData(drawData(ring));
  }

  function drawData(ring) {
    const features = ring.map((c) => ({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: c } }));
    if (ring.length >= 2) features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: ring } });
    if (polygon && !drawing) features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: polygon } });
    return { type: 'FeatureCollection', features };
  }

  // Drawing: a click adds a vertex (not twice at the same place: a double click is two clicks
  // first), a double click or Enter closes, Escape gives up.
  function onClick(e) {
    if (!drawing) return;
    const p = [+e.lngLat.lng.toFixed(5), +e.lngLat.lat.toFixed(5)];
    const last = drawing[drawing.length - 1];
    if (last) {
      const a = map.project(last);
      if (Math.hypot(a.x - e.point.x, a.y - e.point.y) < 4) return;
    }
    drawing.push(p);
    drawSelection();
    render();
  }
  function onDblClick(e) {
    if (!drawing) return;
    e.preventDefault();
    closePolygon();
  }
  function onKey(e) {
    if (!drawing) return;
    if (e.key === 'Enter') { e.preventDefault(); closePolygon(); }
    if (e.key === 'Escape') { e.preventDefault(); stopDrawing(); render(); }
  }
  map.on('click', onClick);
  map.on('dblclick', onDblClick);
  document.addEventListener('keydown', onKey);

  function startDrawing() {
    drawing = [];
    map.doubleClickZoom.disable();
    render();
  }
  function stopDrawing() {
    drawing = null;
    setTimeout(() => map.doubleClickZoom.enable(), 0);
    drawSelection();
  }
  function closePolygon() {
    const ring = drawing || [];
    stopDrawing();
    if (ring.length < 3) { error = h('perimeter.too_few_vertices'); render(); return; }
    polygon = [...ring, ring[0]];
    parts = [{ kind: 'polygon', name: t('perimeter.drawn') }];
    codes = new Set();
    compute();
  }

  /** Adds a commune, an EPCI or a département (from the search or the commune panel). */
  async function addArea(area) {
    if (!on) setMode(true);
    error = null;
    let found = [];
    if (area.kind === 'commune') {
      found = [area.code];
    } else if (area.kind === 'dep') {
      const r = await request(`/api/indicators?level=commune&dep=${encodeURIComponent(area.code)}`);
      if (!r.ok) { error = serverText(r.body.error); render(); return; }
      found = r.body.areas.map((a) => a.code);
    } else if (area.kind === 'epci') {
      found = await epciCommunes(area);
      if (!found) return;
    }
    if (polygon) { polygon = null; parts = []; codes = new Set(); }
    for (const c of found) codes.add(c);
    parts.push({ kind: area.kind, name: area.name });
    compute();
  }

  /** The communes of an EPCI: its polygon (the union of its communes, GeoJSON of
   * /api/indicators?level=epci) resolved by the basin endpoint, so the same rule as a drawn
   * polygon (a commune is in when its town hall is) gives exactly its communes. */
  async function epciCommunes(area) {
    const q = new URLSearchParams({ level: 'epci', format: 'geojson' });
    if (area.dep) q.set('dep', area.dep);
    const g = await request(`/api/indicators?${q}`);
    const f = g.ok ? g.body.features.find((x) => x.properties.code === area.code) : null;
    if (!f) { error = h('perimeter.epci_unknown', { name: area.name }); render(); return null; }
    const r = await request('/api/indicators/basin', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ polygon: f.geometry }) });
    if (!r.ok) { error = serverText(r.body.error); render(); return null; }
    return r.body.communes;
  }

  function toggleCommune(p) {
    if (drawing) return;
    if (polygon) { polygon = null; parts = [{ kind: 'polygon-codes', name: t('perimeter.drawn_then_edited') }]; }
    if (codes.has(p.code)) {
      codes.delete(p.code);
      const i = parts.findIndex((x) => x.kind === 'commune' && x.code === p.code);
      if (i >= 0) parts.splice(i, 1);
    } else {
      codes.add(p.code);
      parts.push({ kind: 'commune', code: p.code, name: p.name });
    }
    drawSelection();
    clearTimeout(timer);
    timer = setTimeout(compute, 300);
  }

  async function compute() {
    const mine = ++seq;
    error = null;
    if (!polygon && !codes.size) { answer = null; context = null; drawSelection(); link(); render(); return; }
    const r = await request('/api/indicators/basin', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body()) });
    if (mine !== seq) return;
    if (!r.ok) { error = serverText(r.body.error); answer = null; render(); return; }
    answer = r.body;
    if (polygon) codes = new Set(answer.communes);
    drawSelection();
    link();
    context = await contextRows(answer.communes);
    if (mine !== seq) return;
    render();
    document.getElementById('status').textContent = t('perimeter.status', { n: num(answer.communes.length) });
  }

  /** The département and region of most of the perimeter's communes, as /api/indicators rows. */
  async function contextRows(list) {
    const counts = new Map();
    for (const c of list) counts.set(depOf(c), (counts.get(depOf(c)) || 0) + 1);
    const dep = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    if (!dep) return null;
    const info = await request(`/api/departements/${encodeURIComponent(dep)}`);
    const [depRow, regRow] = await Promise.all([
      request(`/api/indicators?level=departement&dep=${encodeURIComponent(dep)}`),
      info.ok && info.body.region ? request(`/api/indicators?level=region&region=${encodeURIComponent(info.body.region)}`) : Promise.resolve({ ok: false }),
    ]);
    return {
      dep: depRow.ok ? depRow.body.areas[0] : null,
      region: regRow.ok ? regRow.body.areas[0] : null,
      regionName: info.ok ? info.body.region_name : null,
    };
  }

  /** The address of this perimeter. */
  function link() {
    if (polygon) updateUrl({ polygon: polygon.slice(0, -1).map((c) => c.join(',')).join(';'), perimeter: null });
    else if (codes.size && codes.size <= MAX_LINK_CODES) updateUrl({ perimeter: [...codes].sort().join(','), polygon: null });
    else updateUrl({ perimeter: null, polygon: null });
  }

  /** A figure's cell for an area row (the perimeter's, its département's, its region's). */
  function cells(field, rows, fmt) {
    return rows.map((r, i) => `<td class="num"${i === 0 ? ` data-field="${field}"` : ''}>${r ? fmt(r) : ''}</td>`).join('');
  }

  /** The server's diagnostic (zoning mix, residents under the thresholds, MSP inside and
   * nearest, the same figures for the département and region), when its answer has one. */
  function diagnostic() {
    if (!answer) return null;
    const dg = answer.diagnostic || (answer.perimeter && answer.perimeter.zoning ? answer : null);
    return dg && dg.perimeter ? dg : null;
  }

  function figuresHtml(a) {
    const dg = diagnostic();
    const rows = dg ? [dg.perimeter, (dg.departements || [])[0], (dg.regions || [])[0]] : [a, context && context.dep, context && context.region];
    const why = (r, f) => (r && r.missing && r.missing[f] ? `<br><span class="count">${serverText(r.missing[f])}</span>` : '');
    const line = (label, field, fmt) => `<tr><td>${label}</td>${cells(field, rows, (r) => fmt(r) + why(r, field))}</tr>`;
    const near = (r) => (r.gp_near_retirement === null ? d(num(null)) : `${d(num(r.gp_near_retirement, r.gp_near_retirement_estimated ? 1 : 0))}${r.gp_near_retirement_estimated ? '*' : ''}`);
    const head = `<tr><th></th><th>${h('perimeter.col_perimeter')}</th><th>${context && context.dep ? d(context.dep.name || context.dep.code) : ''}</th><th>${context && context.region ? d(context.regionName || context.region.name || context.region.code) : ''}</th></tr>`;
    return `<table id="perimeter-figures">${head}
      ${line(h('ind.population'), 'population', (r) => d(num(r.population)))}
      ${line(h('ind.communes'), 'commune_count', (r) => d(num(r.commune_count)))}
      ${line(h('ind.gp'), 'gp', (r) => d(num(r.gp)))}
      ${line(h('ind.gp_near_retirement'), 'gp_near_retirement', near)}
      ${line(h('ind.near_retirement_share'), 'near_retirement_share', (r) => d(pct(r.near_retirement_share)))}
      ${line(h('ind.gp_per_10k'), 'gp_per_10k', (r) => d(num(r.gp_per_10k, 1)))}
      ${line(h('ind.gp_per_10k_projected'), 'gp_per_10k_projected', (r) => d(num(r.gp_per_10k_projected, 1)))}
      ${line(h('ind.apl'), 'apl', (r) => d(num(r.apl, 2)))}
      ${line(h('ind.apl_official', { year: a.apl_official_year ? String(a.apl_official_year) : '' }), 'apl_official', (r) => d(num(r.apl_official, 2)))}
      ${line(h('ind.msp_count'), 'msp_count', (r) => d(num(r.msp_count)))}
      ${dg ? diagnosticRows(dg, line) : ''}
    </table>
    ${dg ? mspHtml(dg) : ''}
    <div class="count">${a.gp_near_retirement_estimated ? `* ${h('perimeter.near_estimated')} ` : ''}${a.low_population ? h('panel.low_population') : ''}${a.synthetic ? ` ${h('perimeter.synthetic')}` : ''}</div>
    <div class="count">${h('perimeter.weights')}</div>`;
  }

  /** Rows of the server's diagnostic: zoning mix, residents under the APL threshold and beyond
   * the MSP time. */
  function diagnosticRows(dg, line) {
    const th = dg.thresholds || { apl: 2.5, msp_minutes: 30 };
    const share = (r, k) => (r.zoning && r.zoning[k] ? `${d(num(r.zoning[k].communes))} · ${h('common.inh', { n: num(r.zoning[k].population) })}` : '');
    return `<tr class="group"><th colspan="4">${h('ind.zoning')}</th></tr>
      ${['zip', 'zac', 'hz'].map((k) => line(h(`zoning.${k.toUpperCase()}`), `zoning_${k}`, (r) => share(r, k))).join('')}
      <tr class="group"><th colspan="4">${h('perimeter.g_access')}</th></tr>
      ${line(h('perimeter.under_apl', { t: num(th.apl) }), 'population_apl_under_threshold', (r) => d(num(r.population_apl_under_threshold)))}
      ${line(h('perimeter.under_apl_official', { t: num(th.apl) }), 'population_apl_official_under_threshold', (r) => d(num(r.population_apl_official_under_threshold)))}
      ${line(h('perimeter.beyond_msp', { m: num(th.msp_minutes) }), 'population_msp_beyond_threshold', (r) => d(num(r.population_msp_beyond_threshold)))}`;
  }

  function mspHtml(dg) {
    const inside = (dg.msp_inside || []).map((m) => `<li>${d(m.name)}</li>`).join('');
    const n = dg.nearest_msp_outside;
    return `<div class="block"><strong>${h('perimeter.msp_inside', { n: num((dg.msp_inside || []).length) })}</strong>${inside ? `<ul>${inside}</ul>` : ''}</div>
      ${n ? `<div class="block">${h('perimeter.msp_nearest', { name: n.msp.name, min: num(Math.round(n.minutes)), from: n.from.name })}</div>` : ''}`;
  }

  function render() {
    box.hidden = !on && !codes.size && !polygon;
    if (box.hidden) return;
    const n = answer ? answer.communes.length : codes.size;
    const hint = drawing
      ? `<div class="pending" id="perimeter-drawing">${h('perimeter.drawing', { n: num(drawing.length) })} <button type="button" id="perimeter-draw-done" ${drawing.length >= 3 ? '' : 'disabled'}>${h('perimeter.close_polygon')}</button> <button type="button" id="perimeter-draw-cancel">${h('common.cancel')}</button></div>`
      : `<div class="count">${h('perimeter.hint')}</div>`;
    const url = answer ? `${location.origin}${location.pathname}${location.search}` : '';
    box.innerHTML = `<button class="close" aria-label="${esc(t('common.close'))}" title="${esc(t('common.close'))}">×</button>
      <h3 id="perimeter-title">${h('perimeter.title')}${answer ? ` : ${d(title())}` : ''}</h3>
      ${hint}
      <div class="buttons no-print">
        <button type="button" id="perimeter-draw" ${drawing ? 'disabled' : ''}>${h('perimeter.draw')}</button>
        <button type="button" id="perimeter-clear" ${codes.size || polygon ? '' : 'disabled'}>${h('perimeter.clear')}</button>
      </div>
      ${error ? `<div class="error" id="perimeter-error" role="alert">${error}</div>` : ''}
      ${answer ? `<div id="perimeter-count">${h('perimeter.count', { n: num(n) })}${answer.meta && answer.meta.selection && answer.meta.selection.by === 'polygon' ? ` ${h('perimeter.by_town_hall')}` : ''}</div>
        ${figuresHtml(answer.area)}
        <div class="block no-print">${h('perimeter.download')}
          <button type="button" class="link" id="perimeter-csv">${h('perimeter.dl_perimeter_csv')}</button> ·
          <button type="button" class="link" id="perimeter-geojson">${h('perimeter.dl_perimeter_geojson')}</button> ·
          <button type="button" class="link" id="perimeter-communes-csv">${h('perimeter.dl_communes_csv')}</button> ·
          <button type="button" class="link" id="perimeter-communes-geojson">${h('perimeter.dl_communes_geojson')}</button></div>
        <div class="buttons no-print">
          <button type="button" id="perimeter-share">${h('common.copy_link')}</button>
          <button type="button" id="perimeter-print">${h('common.print')}</button>
        </div>
        <label class="field no-print">${h('perimeter.link')} <input id="perimeter-url" readonly value="${esc(url)}"></label>
        <div class="source">${h('perimeter.sources')}</div>` : ''}`;
    box.querySelector('.close').addEventListener('click', () => { clear(); setMode(false); toggle.focus(); });
    box.querySelector('#perimeter-draw').addEventListener('click', startDrawing);
    box.querySelector('#perimeter-draw-done')?.addEventListener('click', closePolygon);
    box.querySelector('#perimeter-draw-cancel')?.addEventListener('click', () => { stopDrawing(); render(); });
    box.querySelector('#perimeter-clear').addEventListener('click', clear);
    box.querySelector('#perimeter-share')?.addEventListener('click', async () => {
      const input = box.querySelector('#perimeter-url');
      input.select();
      try { await navigator.clipboard.writeText(input.value); } catch (_) { /* selected for copying by hand */ }
    });
    box.querySelector('#perimeter-print')?.addEventListener('click', () => printSummary(box, map));
    for (const [id, format] of [['#perimeter-csv', 'csv'], ['#perimeter-geojson', 'geojson']]) {
      box.querySelector(id)?.addEventListener('click', async () => {
        const r = await fetch(`/api/indicators/basin?format=${format}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body()) });
        downloadBlob(await r.blob(), `perimetre.${format}`);
      });
    }
    for (const [id, format] of [['#perimeter-communes-csv', 'csv'], ['#perimeter-communes-geojson', 'geojson']]) {
      box.querySelector(id)?.addEventListener('click', async () => downloadBlob(await communesFile(format), `perimetre-communes.${format}`));
    }
  }

  /** The perimeter's communes, one row each (the rows of /api/indicators?level=commune of their
   * départements, kept in the perimeter). */
  async function communesFile(format) {
    const list = answer ? answer.communes : [...codes];
    const keep = new Set(list);
    const deps = [...new Set(list.map(depOf))].sort();
    const texts = await Promise.all(deps.map(async (dep) => (await fetch(`/api/indicators?level=commune&dep=${encodeURIComponent(dep)}&format=${format}`)).text()));
    if (format === 'csv') {
      const lines = texts.flatMap((text, i) => text.trimEnd().split('\n').slice(i === 0 ? 0 : 1));
      const [header, ...rest] = lines;
      return new Blob([[header, ...rest.filter((l) => keep.has(l.split(',')[0]))].join('\n') + '\n'], { type: 'text/csv' });
    }
    const collections = texts.map((text) => JSON.parse(text));
    const features = collections.flatMap((c) => c.features.filter((f) => keep.has(f.properties.code)));
    return new Blob([JSON.stringify({ type: 'FeatureCollection', meta: collections[0] ? collections[0].meta : null, features })], { type: 'application/geo+json' });
  }

  function clear() {
    codes = new Set();
    polygon = null;
    parts = [];
    answer = null;
    context = null;
    error = null;
    if (drawing) stopDrawing();
    drawSelection();
    link();
    render();
  }

  // An address with a perimeter reopens it.
  const fromLink = params.get('polygon');
  if (fromLink) {
    const ring = fromLink.split(';').map((p) => p.split(',').map(Number)).filter((p) => p.length === 2 && p.every(Number.isFinite));
    if (ring.length >= 3) {
      polygon = [...ring, ring[0]];
      parts = [{ kind: 'polygon', name: t('perimeter.drawn') }];
      setMode(true);
      compute();
    }
  } else if (params.get('perimeter')) {
    codes = new Set(params.get('perimeter').split(',').map((c) => c.trim()).filter(Boolean));
    parts = [...codes].map((code) => ({ kind: 'commune', code, name: code }));
    setMode(true);
    compute();
  }

  return {
    active: () => on,
    drawing: () => Boolean(drawing),
    toggle: toggleCommune,
    addArea,
    title: () => (answer ? title() : ''),
    /** For tests and the export: the communes and the answer shown. */
    state: () => ({ codes: [...codes].sort(), polygon, answer, context }),
  };
}
