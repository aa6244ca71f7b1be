// What-if mode: each click places a new site with N GPs; the changes so far are posted as one
// scenario (POST /api/scenarios), its APL change is drawn as a diverging choropleth from the
// scenario's tiles, and its impact summarised. Undo drops the last site; the page's address
// (?scenario=id) shares the scenario, which the server keeps.
import { request, esc, fmt, tableRow as row } from './common.js';

const DEFAULT_GPS = 3;

export function initWhatIf(map, { onScenario }) {
  const toggle = document.getElementById('whatif-toggle');
  const box = document.getElementById('whatif');
  let on = false;
  let changes = [];
  let markers = [];
  let id = null;
  let impact = null;
  let error = null;
  let gps = DEFAULT_GPS;

  function setMode(value) {
    on = value;
    toggle.setAttribute('aria-pressed', String(on));
    map.getCanvas().style.cursor = on ? 'crosshair' : '';
    render();
  }
  toggle.addEventListener('click', () => setMode(!on));

  function drawMarkers() {
    markers.forEach((m) => m.remove());
    markers = changes.filter((c) => c.type === 'add_site' && c.lon !== undefined).map((c, i) => {
      const el = document.createElement('div');
      el.className = 'new-site';
      el.title = `${c.name}: ${c.gps} GPs`;
      el.textContent = `+${c.gps}`;
      el.dataset.index = String(i);
      return new maplibregl.Marker({ element: el }).setLngLat([c.lon, c.lat]).addTo(map);
    });
  }

  function summaryHtml() {
    if (!impact) return '';
    const s = impact.summary;
    const cover = s.msp_coverage.map((c) => row(`Residents ≤ ${c.minutes} min from an MSP`, `${fmt(c.before)} → ${fmt(c.after)} (${signed(c.after - c.before)})`)).join('');
    const deps = impact.departements.map((d) => row(esc(d.name || d.code),
      `GPs ${fmt(d.gp_before)} → ${fmt(d.gp_after)}; APL ${fmt(d.apl_before, 2)} → ${fmt(d.apl_after, 2)}`)).join('');
    return `<table id="whatif-summary">
      ${row('Residents lifted above APL 2.5', `<b id="lifted">${fmt(s.population_moving_above_threshold)}</b>`)}
      ${row('Residents falling below APL 2.5', fmt(s.population_moving_below_threshold))}
      ${row('Residents whose APL rises', fmt(s.population_with_higher_apl))}
      ${row('Communes whose APL changes', fmt(s.communes_with_apl_change))}
      ${cover}${deps}
    </table>
    <div class="count">${esc(impact.model)}. GP counts: see the legend.</div>`;
  }

  function render() {
    box.hidden = !on && !changes.length && !error;
    const list = changes.map((c, i) => `<li>${esc(c.name || c.type)}: ${c.gps !== undefined ? `+${fmt(c.gps)} GPs` : ''}</li>`).join('');
    box.innerHTML = `<h3>What if…</h3>
      <div>${on ? 'Click the map to place a new site with' : 'Press “What if…” to place sites with'}
        <input id="whatif-gps" type="number" min="1" max="50" step="1" value="${gps}" aria-label="GPs at a new site"> GPs.</div>
      ${error ? `<div class="error" id="whatif-error">${esc(error)}</div>` : ''}
      ${list ? `<ol>${list}</ol>` : ''}
      <div class="buttons">
        <button id="whatif-undo" type="button" ${changes.length ? '' : 'disabled'}>Undo</button>
        <button id="whatif-clear" type="button" ${changes.length ? '' : 'disabled'}>Clear</button>
        <button id="whatif-share" type="button" ${id ? '' : 'disabled'}>Copy link</button>
      </div>
      ${id ? `<input id="whatif-url" readonly value="${esc(`${location.origin}/?scenario=${id}`)}" aria-label="link to this scenario">` : ''}
      ${summaryHtml()}`;
    box.querySelector('#whatif-gps').addEventListener('change', (e) => {
      const v = Math.round(Number(e.target.value));
      gps = Number.isFinite(v) && v >= 1 && v <= 50 ? v : DEFAULT_GPS;
      e.target.value = gps;
    });
    box.querySelector('#whatif-undo').addEventListener('click', () => { changes.pop(); apply(); });
    box.querySelector('#whatif-clear').addEventListener('click', () => { changes = []; apply(); });
    box.querySelector('#whatif-share').addEventListener('click', async () => {
      const url = box.querySelector('#whatif-url');
      url.select();
      try { await navigator.clipboard.writeText(url.value); } catch (_) { /* selected for copying by hand */ }
    });
  }

  /** Posts the current changes, then shows the scenario (or goes back to the plain map). */
  async function apply() {
    error = null;
    drawMarkers();
    if (!changes.length) {
      id = null;
      impact = null;
      await onScenario(null);
      render();
      return;
    }
    const r = await request('/api/scenarios', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'what-if (viewer)', changes }),
    });
    if (!r.ok) {
      // The last change was refused (e.g. a point outside the atlas): say why, drop it.
      error = r.body.error;
      changes.pop();
      drawMarkers();
      render();
      return;
    }
    await show(r.body.id);
  }

  async function show(newId) {
    const r = await request(`/api/scenarios/${encodeURIComponent(newId)}/impact`);
    if (!r.ok) { error = r.body.error; render(); return; }
    id = newId;
    impact = r.body.impact;
    await onScenario(id);
    render();
  }

  return {
    active: () => on,
    place(lngLat) {
      changes.push({ type: 'add_site', lon: +lngLat.lng.toFixed(5), lat: +lngLat.lat.toFixed(5), gps, name: `New site ${changes.length + 1}` });
      apply();
    },
    /** Opens a shared scenario by id. */
    async load(sharedId) {
      const r = await request(`/api/scenarios/${encodeURIComponent(sharedId)}`);
      if (!r.ok) { error = `Shared scenario: ${r.body.error}`; box.hidden = false; render(); return; }
      changes = r.body.scenario.changes;
      drawMarkers();
      await show(sharedId);
    },
  };
}


function signed(v) {
  return v > 0 ? `+${fmt(v)}` : fmt(v);
}
