// Saved scenarios and the comparison of two. The list (name + id) is kept in this browser's
// localStorage; the server keeps the scenarios themselves (GET /api/scenarios/{id}). Two of
// them compare side by side: a table of their headline figures, and a difference map, the APL
// of B minus that of A per commune. Both impacts give each changed commune's APL change against
// the same baseline, so B − A is ΔB − ΔA (0 where neither changes anything); it is drawn as a
// `match` on the commune code over the commune layer, with a diverging legend.
import { request, serverText } from './common.js';
import { meanAplChange, methodsHtml, travelText } from './impact.js';
import { t, h, d, raw, num, signed, esc } from './i18n.js';

const KEY = 'medatlas.scenarios';
export const DIFF_LAYER = 'compare-diff';
/** Diverging classes of B − A (consultations / year / inhabitant): red where A gives more. */
const COLORS = ['#b2182b', '#ef8a62', '#fddbc7', '#f7f7f7', '#d1e5f0', '#67a9cf', '#2166ac'];
const BREAKS = [-1, -0.25, -0.05, 0.05, 0.25, 1];

function colorOf(v) {
  let k = 0;
  while (k < BREAKS.length && v >= BREAKS[k]) k++;
  return COLORS[k];
}

function readSaved() {
  try {
    const list = JSON.parse(localStorage.getItem(KEY) || '[]');
    return Array.isArray(list) ? list.filter((s) => s && typeof s.id === 'string') : [];
  } catch (_) {
    return [];
  }
}

/** APL of B minus APL of A per commune code, from the two impacts' changes (communes neither
 * changes are left out: 0). */
export function aplDifference(a, b) {
  const diff = new Map();
  for (const [impact, sign] of [[a, -1], [b, 1]]) {
    for (const c of impact.apl) {
      if (c.delta === null) continue;
      diff.set(c.code, (diff.get(c.code) || 0) + sign * c.delta);
    }
  }
  return diff;
}

export function initCompare({ meta, onOpen, setOverlay }) {
  const savedBox = document.getElementById('saved');
  const box = document.getElementById('compare');
  let saved = readSaved();

  function store() {
    try { localStorage.setItem(KEY, JSON.stringify(saved)); } catch (_) { /* private mode: kept for this page only */ }
  }

  function options(selected) {
    return saved.map((s) => `<option class="d" value="${esc(s.id)}"${s.id === selected ? ' selected' : ''}>${esc(s.name)} (${esc(s.id)})</option>`).join('');
  }

  function renderSaved() {
    savedBox.hidden = !saved.length;
    if (!saved.length) { savedBox.innerHTML = ''; return; }
    const items = saved.map((s, i) => `<li><span class="label"><b>${d(s.name)}</b> <code>${d(s.id)}</code></span>
      <button type="button" class="open" data-i="${i}">${h('compare.open')}</button>
      <button type="button" class="forget" data-i="${i}" aria-label="${esc(t('compare.forget'))}" title="${esc(t('compare.forget_title'))}">×</button></li>`).join('');
    const a = saved.length >= 2 ? saved[saved.length - 2].id : saved[0].id;
    const b = saved[saved.length - 1].id;
    savedBox.innerHTML = `<h3>${h('compare.saved_title')}</h3>
      <ul id="saved-list">${items}</ul>
      ${saved.length >= 2 ? `<div class="compare-pick">
        <label>A <select id="compare-a">${options(a)}</select></label>
        <label>B <select id="compare-b">${options(b)}</select></label>
        <button type="button" id="compare-run">${h('compare.run')}</button></div>` : `<div class="count">${h('compare.save_another')}</div>`}
      <div class="count">${h('compare.kept_where')}</div>`;
    savedBox.querySelectorAll('button.open').forEach((el) => el.addEventListener('click', () => onOpen(saved[Number(el.dataset.i)].id)));
    savedBox.querySelectorAll('button.forget').forEach((el) => el.addEventListener('click', () => {
      saved.splice(Number(el.dataset.i), 1);
      store();
      renderSaved();
    }));
    savedBox.querySelector('#compare-run')?.addEventListener('click', () => compare(savedBox.querySelector('#compare-a').value, savedBox.querySelector('#compare-b').value));
  }

  function close() {
    box.hidden = true;
    box.innerHTML = '';
    setOverlay(DIFF_LAYER, null);
  }

  async function compare(idA, idB) {
    const [ra, rb] = await Promise.all([idA, idB].map((id) => request(`/api/scenarios/${encodeURIComponent(id)}/impact`)));
    const nameOf = (id) => (saved.find((s) => s.id === id) || { name: id }).name;
    box.hidden = false;
    if (!ra.ok || !rb.ok) {
      const bad = !ra.ok ? [idA, ra] : [idB, rb];
      box.innerHTML = `<h3>${h('compare.title_short')}</h3><div class="error" id="compare-error">${h('compare.error', { name: nameOf(bad[0]), message: raw(serverText(bad[1].body.error)) })}</div>`;
      setOverlay(DIFF_LAYER, null);
      return;
    }
    const [A, B] = [ra.body, rb.body];
    const [a, b] = [A.impact, B.impact];
    const line = (label, va, vb, digits = 0, id = '') => `<tr${id ? ` id="${id}"` : ''}><td>${label}</td><td class="num">${d(num(va, digits))}</td><td class="num">${d(num(vb, digits))}</td><td class="num">${d(va === null || vb === null ? '—' : signed(vb - va, digits))}</td></tr>`;
    const cover = a.summary.msp_coverage.map((c, k) => {
      const cb = b.summary.msp_coverage[k];
      return line(h('impact.within_msp', { minutes: num(c.minutes) }), c.after, cb ? cb.after : null);
    }).join('');
    const diff = aplDifference(a, b);
    const changed = [...diff.values()].filter((v) => Math.abs(v) >= 0.05).length;
    box.innerHTML = `<button class="close" aria-label="${esc(t('compare.close'))}" title="${esc(t('compare.close'))}">×</button>
      <h3>${h('compare.title')}</h3>
      <div>${h('compare.a', { name: nameOf(idA), id: idA })}<br>${h('compare.b', { name: nameOf(idB), id: idB })}</div>
      <table id="compare-table">
        <tr><th></th><th>A</th><th>B</th><th>B − A</th></tr>
        <tr class="group"><th colspan="4">${h('impact.g_apl')}</th></tr>
        ${line(h('impact.lifted'), a.summary.population_moving_above_threshold, b.summary.population_moving_above_threshold, 0, 'compare-lifted')}
        ${line(h('impact.fallen'), a.summary.population_moving_below_threshold, b.summary.population_moving_below_threshold, 0, 'compare-fallen')}
        ${line(h('compare.mean_change'), meanAplChange(a), meanAplChange(b), 4, 'compare-mean')}
        <tr class="group"><th colspan="4">${h('compare.g_msp_after')}</th></tr>
        ${cover}
        <tr class="group"><th colspan="4">${h('compare.g_equity_after')}</th></tr>
        ${line(h('impact.gini'), a.equity.after.gini, b.equity.after.gini, 3, 'compare-gini')}
        ${line(h('impact.palma'), a.equity.after.palma, b.equity.after.palma, 3, 'compare-palma')}
        ${line(h('impact.under'), a.equity.after.population_under, b.equity.after.population_under)}
        <tr class="group"><th colspan="4">${h('impact.g_sa')}</th></tr>
        ${line(h('compare.gained'), a.spatial_availability.gained, b.spatial_availability.gained, 1, 'compare-gained')}
        ${line(h('compare.lost'), a.spatial_availability.lost, b.spatial_availability.lost, 1, 'compare-lost')}
      </table>
      <div class="count">${h('compare.footnote', { a: a.equity.departements.join(', '), b: b.equity.departements.join(', ') })}</div>
      <div class="count">${h('compare.map_note', { n: num(changed) })}</div>
      <details><summary>${h('common.methods')}</summary>${methodsHtml(A, meta)}</details>`;
    box.querySelector('.close').addEventListener('click', close);
    box.scrollIntoView({ block: 'start' });
    const entries = [...diff.entries()].filter(([, v]) => Math.abs(v) >= 0.05);
    const color = entries.length ? ['match', ['get', 'code'], ...entries.flatMap(([code, v]) => [code, colorOf(v)]), COLORS[3]] : COLORS[3];
    const legend = {
      title: h('compare.legend_title'),
      unit: h('common.apl_unit'),
      rows: COLORS.map((c, k) => ({ color: c, label: h(`compare.labels.${k}`) })),
      classes: h('compare.legend_colours'),
      source: h('compare.legend_source', { travel: raw(travelText(A.travel_times, meta)) }),
      notes: [],
    };
    setOverlay(DIFF_LAYER, {
      layer: { id: DIFF_LAYER, type: 'fill', source: 'medatlas', 'source-layer': 'communes', paint: { 'fill-color': color, 'fill-opacity': 1 } },
      legend,
      extra: `<button type="button" id="compare-hide">${h('common.back_to_map')}</button>`,
      wire: (el) => el.querySelector('#compare-hide').addEventListener('click', close),
      tooltip: (p) => h('compare.tooltip', { name: p.name, code: p.code, v: diff.has(p.code) ? signed(diff.get(p.code), 3) : num(0) }),
    });
  }

  renderSaved();
  return {
    /** Keeps a scenario in the list (replacing one of the same name). */
    add({ id, name }) {
      saved = saved.filter((s) => s.name !== name && s.id !== id);
      saved.push({ id, name, saved: new Date().toISOString() });
      store();
      renderSaved();
    },
    compare,
  };
}
