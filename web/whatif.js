// The scenario editor ("Scénario" button). While it is on, a click on the map, by the chosen
// tool, opens a new site with N GPs or retires N GPs of a commune; a click on an MSP closes it
// (with the GPs leaving), changes its number of GPs or moves it (closed here, opened where the
// next click falls: two changes, one action). The actions are listed, each removable; after
// each one the scenario is posted (POST /api/scenarios, the server keeps it), its change of APL
// drawn from the scenario's tiles and its impact summarised with methods and assumptions
// (impact.js). "Enregistrer" (Save) keeps it in the list of saved scenarios (compare.js); the page's
// address (?scenario=id) shares it.
import { request, serverText } from './common.js';
import { t, h, d, raw, num, esc } from './i18n.js';
import { figuresHtml, methodsHtml } from './impact.js';

const DEFAULT_GPS = 3;
/** The name a move gives its new site: how a stored scenario's changes are read back as a move.
 * A marker in the stored data, the same in every language. */
const MOVED = ' (déplacée)';

/** An action's changes, as the API takes them. */
function toChanges(a) {
  switch (a.kind) {
    case 'add': return [{ type: 'add_site', lon: a.lon, lat: a.lat, gps: a.gps, name: a.name }];
    case 'close': return [{ type: 'remove_site', site: a.site, gps: a.gps }];
    case 'resize': return [{ type: 'resize_site', site: a.site, gps_delta: a.delta }];
    case 'retire': return [{ type: 'retire', commune: a.commune, gps: a.gps }];
    case 'move': return [
      { type: 'remove_site', site: a.site, gps: a.gps },
      { type: 'add_site', lon: a.lon, lat: a.lat, gps: a.gps, name: `${a.siteName}${MOVED}` },
    ];
    default: return [];
  }
}

/** A stored scenario's changes read back as actions (a closing followed by the opening of its
 * moved site is one move). */
function fromChanges(changes) {
  const actions = [];
  for (let k = 0; k < changes.length; k++) {
    const c = changes[k];
    const next = changes[k + 1];
    if (c.type === 'remove_site' && next && next.type === 'add_site' && next.lon !== undefined && (next.name || '').endsWith(MOVED) && next.gps === c.gps) {
      actions.push({ kind: 'move', site: c.site, siteName: next.name.slice(0, -MOVED.length), gps: c.gps, lon: next.lon, lat: next.lat });
      k++;
    } else if (c.type === 'add_site') {
      actions.push({ kind: 'add', lon: c.lon, lat: c.lat, commune: c.commune, gps: c.gps, name: c.name || t('whatif.new_site', { n: '' }).trim() });
    } else if (c.type === 'remove_site') {
      actions.push({ kind: 'close', site: c.site, gps: c.gps });
    } else if (c.type === 'resize_site') {
      actions.push({ kind: 'resize', site: c.site, delta: c.gps_delta });
    } else if (c.type === 'retire') {
      actions.push({ kind: 'retire', commune: c.commune, gps: c.gps });
    }
  }
  return actions;
}

const gpsText = (n) => h(Math.abs(n) >= 2 ? 'whatif.gps_many' : 'whatif.gps_one', { n: num(n, 1) });
const gpsPlain = (n) => t(Math.abs(n) >= 2 ? 'whatif.gps_many' : 'whatif.gps_one', { n: num(n, 1) });

/** One line of the list of actions. */
function actionText(a) {
  const site = a.siteName || a.site;
  switch (a.kind) {
    case 'add': return h('whatif.a_add', { name: a.name, gps: raw(gpsText(a.gps)) });
    case 'close': return h('whatif.a_close', { name: site, gps: raw(gpsText(a.gps)) });
    case 'resize': return h(a.delta >= 0 ? 'whatif.a_resize_up' : 'whatif.a_resize_down', { name: site, gps: raw(gpsText(Math.abs(a.delta))) });
    case 'retire': return h('whatif.a_retire', { name: a.communeName || a.commune, gps: raw(gpsText(a.gps)) });
    case 'move': return a.toName ? h('whatif.a_move_to', { name: site, gps: raw(gpsText(a.gps)), to: a.toName }) : h('whatif.a_move', { name: site, gps: raw(gpsText(a.gps)) });
    default: return '';
  }
}

export function initWhatIf(map, { onScenario, onSave, meta }) {
  const toggle = document.getElementById('whatif-toggle');
  const box = document.getElementById('whatif');
  let on = false;
  let tool = 'add';
  let actions = [];
  let markers = [];
  let moving = null; // a site being moved: {site, siteName, gps}
  let popup = null;
  let id = null;
  let answer = null;
  let error = null;
  let gps = DEFAULT_GPS;
  let name = t('whatif.default_name');

  function setMode(value) {
    on = value;
    toggle.setAttribute('aria-pressed', String(on));
    map.getCanvas().style.cursor = on ? 'crosshair' : '';
    if (!on) { moving = null; closePopup(); }
    render();
  }
  toggle.addEventListener('click', () => setMode(!on));

  function closePopup() {
    if (popup) popup.remove();
    popup = null;
  }

  function openPopup(lngLat, html, wire) {
    closePopup();
    popup = new maplibregl.Popup({ closeButton: true, maxWidth: '300px', className: 'editor-popup' }).setLngLat(lngLat).setHTML(html).addTo(map);
    wire(popup.getElement());
  }

  function drawMarkers() {
    markers.forEach((m) => m.remove());
    markers = [];
    actions.forEach((a, i) => {
      // A closed or moved MSP: a cross where it stood (its point stays in the tiles).
      if ((a.kind === 'close' || a.kind === 'move') && a.siteAt) {
        const el = document.createElement('div');
        el.className = 'closed-site';
        el.title = t(a.kind === 'move' ? 'whatif.marker_moved_from' : 'whatif.marker_closed', { name: a.siteName || a.site });
        el.textContent = '✕';
        markers.push(new maplibregl.Marker({ element: el }).setLngLat(a.siteAt).addTo(map));
      }
      if (a.lon === undefined || (a.kind !== 'add' && a.kind !== 'move')) return;
      const el = document.createElement('div');
      el.className = a.kind === 'move' ? 'new-site moved-site' : 'new-site';
      el.title = t(a.kind === 'move' ? 'whatif.marker_moved' : 'whatif.marker_new', { name: a.kind === 'move' ? a.siteName || a.site : a.name, gps: gpsPlain(a.gps) });
      el.textContent = a.kind === 'move' ? '⇢' : `+${a.gps}`;
      el.dataset.index = String(i);
      markers.push(new maplibregl.Marker({ element: el }).setLngLat([a.lon, a.lat]).addTo(map));
    });
  }

  function render() {
    box.hidden = !on && !actions.length && !error;
    const list = actions.map((a, i) => `<li>${actionText(a)} <button type="button" class="remove" data-i="${i}" id="whatif-remove-${i}" aria-label="${esc(t('whatif.remove_action'))}" title="${esc(t('whatif.remove_action'))}">×</button></li>`).join('');
    const hint = moving
      ? `<div class="pending" id="whatif-moving">${h('whatif.moving', { name: moving.siteName })} <button type="button" id="whatif-move-cancel">${h('common.cancel')}</button></div>`
      : on
        ? `<div class="count">${h('whatif.hint_on')}</div>`
        : `<div class="count">${h('whatif.hint_off')}</div>`;
    box.innerHTML = `<h3>${h('whatif.title')}</h3>
      <fieldset class="tools"><legend>${h('whatif.a_click')}</legend>
        <label><input type="radio" name="whatif-tool" value="add" id="whatif-tool-add" ${tool === 'add' ? 'checked' : ''}> ${h('whatif.tool_add_before')}
          <input id="whatif-gps" type="number" min="1" max="50" step="1" value="${gps}" aria-label="${esc(t('whatif.tool_add_label'))}"> ${h('whatif.tool_add_after')}</label>
        <label><input type="radio" name="whatif-tool" value="retire" id="whatif-tool-retire" ${tool === 'retire' ? 'checked' : ''}> ${h('whatif.tool_retire')}</label>
      </fieldset>
      ${hint}
      ${error ? `<div class="error" id="whatif-error" role="alert">${error}</div>` : ''}
      ${list ? `<ol id="whatif-actions">${list}</ol>` : ''}
      <div class="buttons">
        <button id="whatif-undo" type="button" ${actions.length ? '' : 'disabled'}>${h('whatif.undo')}</button>
        <button id="whatif-clear" type="button" ${actions.length ? '' : 'disabled'}>${h('whatif.clear')}</button>
        <button id="whatif-share" type="button" ${id ? '' : 'disabled'}>${h('common.copy_link')}</button>
      </div>
      <div class="buttons">
        <input id="whatif-name" type="text" maxlength="80" value="${esc(name)}" aria-label="${esc(t('whatif.name_label'))}">
        <button id="whatif-save" type="button" ${id ? '' : 'disabled'}>${h('whatif.save')}</button>
      </div>
      ${id ? `<input id="whatif-url" readonly value="${esc(`${location.origin}/?scenario=${id}&lang=${document.documentElement.lang}`)}" aria-label="${esc(t('whatif.link_label'))}">` : ''}
      ${answer ? `<h4>${h('whatif.effects')}</h4>${figuresHtml(answer)}<details open><summary>${h('common.methods')}</summary>${methodsHtml(answer, meta)}</details>` : ''}`;
    box.querySelector('#whatif-gps').addEventListener('change', (e) => {
      const v = Math.round(Number(e.target.value));
      gps = Number.isFinite(v) && v >= 1 && v <= 50 ? v : DEFAULT_GPS;
      e.target.value = gps;
    });
    box.querySelectorAll('input[name=whatif-tool]').forEach((r) => r.addEventListener('change', (e) => { tool = e.target.value; }));
    box.querySelector('#whatif-name').addEventListener('input', (e) => { name = e.target.value; });
    box.querySelectorAll('button.remove').forEach((b) => b.addEventListener('click', () => {
      const next = actions.filter((_, i) => i !== Number(b.dataset.i));
      apply(next);
    }));
    box.querySelector('#whatif-move-cancel')?.addEventListener('click', () => { moving = null; render(); });
    box.querySelector('#whatif-undo').addEventListener('click', () => apply(actions.slice(0, -1)));
    box.querySelector('#whatif-clear').addEventListener('click', () => apply([]));
    box.querySelector('#whatif-share').addEventListener('click', async () => {
      const url = box.querySelector('#whatif-url');
      url.select();
      try { await navigator.clipboard.writeText(url.value); } catch (_) { /* selected for copying by hand */ }
    });
    box.querySelector('#whatif-save').addEventListener('click', async () => {
      // Posted again under its name, so that the server's copy carries it.
      if (await apply(actions)) onSave({ id, name: name.trim() || t('whatif.no_name') });
    });
  }

  /** Posts `next` as the scenario; on success it becomes the current one (true), on a refusal
   * the actions stay as they were and the reason is shown (false). */
  async function apply(next) {
    error = null;
    closePopup();
    if (!next.length) {
      actions = [];
      id = null;
      answer = null;
      drawMarkers();
      await onScenario(null);
      render();
      return true;
    }
    const r = await request('/api/scenarios', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: name.trim() || t('whatif.no_name'), changes: next.flatMap(toChanges) }),
    });
    if (!r.ok) {
      error = h('common.refused', { message: raw(serverText(r.body.error)) });
      render();
      return false;
    }
    actions = next;
    drawMarkers();
    return show(r.body.id);
  }

  async function show(newId) {
    const r = await request(`/api/scenarios/${encodeURIComponent(newId)}/impact`);
    if (!r.ok) { error = serverText(r.body.error); render(); return false; }
    id = newId;
    answer = r.body;
    await onScenario(id);
    render();
    return true;
  }

  /** The commune's GP counts (GET /api/communes/{code}), or null. */
  async function commune(code) {
    const r = await request(`/api/communes/${encodeURIComponent(code)}`);
    return r.ok ? r.body : null;
  }

  /** Popup of an MSP: close it, change its GPs, or move it. */
  async function editSite(lngLat, p) {
    const c = await commune(p.commune);
    const inCommune = c && c.gp ? c.gp.gp : null;
    const leaving = inCommune === null ? gps : Math.min(gps, inCommune);
    const html = `<strong class="site-name">${d(p.name)}</strong>
      <div class="count">MSP · ${d(c ? c.name : p.commune)}${inCommune !== null ? ` · ${h('whatif.in_commune', { gps: raw(gpsText(inCommune)) })}` : ''}</div>
      <label class="field">${h('whatif.leaving')} <input id="site-gps" type="number" min="0" max="500" step="1" value="${leaving}"></label>
      <div class="count">${h('whatif.leaving_hint', { n: num(leaving) })}</div>
      <div class="buttons"><button type="button" id="site-close">${h('whatif.close_msp')}</button><button type="button" id="site-move">${h('whatif.move')}</button></div>
      <label class="field">${h('whatif.resize_before')} <input id="site-delta" type="number" min="-500" max="500" step="1" value="1"> ${h('whatif.resize_after')}</label>
      <div class="buttons"><button type="button" id="site-resize">${h('whatif.apply')}</button></div>`;
    openPopup(lngLat, html, (el) => {
      const count = (sel) => Number(el.querySelector(sel).value);
      const site = { site: p.id, siteName: p.name, siteAt: p.at };
      el.querySelector('#site-close').addEventListener('click', () => apply([...actions, { kind: 'close', ...site, gps: Math.max(0, count('#site-gps')) }]));
      el.querySelector('#site-resize').addEventListener('click', () => {
        const delta = count('#site-delta');
        if (delta) apply([...actions, { kind: 'resize', ...site, delta }]);
      });
      el.querySelector('#site-move').addEventListener('click', () => {
        moving = { ...site, gps: Math.max(0, count('#site-gps')) };
        closePopup();
        render();
      });
    });
  }

  /** Popup of a commune: retire N of its GPs (default: its near-retirement count). */
  async function retireIn(lngLat, code) {
    const c = await commune(code);
    if (!c) return;
    const g = c.gp ? c.gp.gp : 0;
    const near = c.gp ? c.gp.gp_near_retirement : null;
    const estimated = c.gp && c.gp.gp_near_retirement_estimated;
    const value = Math.max(1, Math.min(g, Math.round(near || 1)));
    const html = `<strong class="commune-name">${d(c.name)} (${d(c.code)})</strong>
      <div>${gpsText(g)}${near !== null ? h(estimated ? 'whatif.of_which_near_est' : 'whatif.of_which_near', { n: num(near, 1) }) : ''}</div>
      ${g > 0
        ? `<label class="field">${h('whatif.retire_label')} <input id="retire-gps" type="number" min="1" max="${g}" step="1" value="${value}"></label>
           <div class="buttons"><button type="button" id="retire-apply">${h('whatif.retire')}</button></div>`
        : `<div class="count">${h('whatif.no_gp')}</div>`}`;
    openPopup(lngLat, html, (el) => {
      el.querySelector('#retire-apply')?.addEventListener('click', () => {
        const n = Math.min(g, Math.max(0, Number(el.querySelector('#retire-gps').value)));
        if (n > 0) apply([...actions, { kind: 'retire', commune: c.code, communeName: c.name, gps: n }]);
      });
    });
  }

  /** Names (and MSP positions, where their tiles are loaded) of the actions read back from a
   * stored scenario. */
  async function nameActions(list) {
    const sites = new Map(map.querySourceFeatures('medatlas', { sourceLayer: 'msp' }).map((f) => [f.properties.id, f]));
    for (const a of list) {
      const f = a.site && sites.get(a.site);
      if (f) {
        a.siteName = a.siteName || f.properties.name;
        a.siteAt = f.geometry.coordinates;
      }
      if (a.kind === 'retire') a.communeName = (await commune(a.commune))?.name;
    }
  }

  return {
    active: () => on,
    /** A click on the map, not on an MSP (`p`: the commune's tile properties). */
    clickMap(lngLat, p) {
      const at = { lon: +lngLat.lng.toFixed(5), lat: +lngLat.lat.toFixed(5) };
      if (moving) {
        const m = moving;
        moving = null;
        return apply([...actions, { kind: 'move', ...m, ...at, toName: p.name }]);
      }
      if (tool === 'retire') return retireIn(lngLat, p.code);
      const n = actions.filter((a) => a.kind === 'add').length + 1;
      return apply([...actions, { kind: 'add', ...at, gps, name: t('whatif.new_site', { n: String(n) }) }]);
    },
    /** A click on an MSP point (`p`: its tile properties). */
    clickSite: editSite,
    /** Opens a stored scenario by id (a shared address, a saved scenario). */
    async load(storedId) {
      const r = await request(`/api/scenarios/${encodeURIComponent(storedId)}`);
      if (!r.ok) { error = h('whatif.shared_error', { message: raw(serverText(r.body.error)) }); box.hidden = false; render(); return; }
      const list = fromChanges(r.body.scenario.changes);
      await nameActions(list);
      actions = list;
      name = r.body.scenario.name || name;
      drawMarkers();
      await show(storedId);
    },
  };
}
