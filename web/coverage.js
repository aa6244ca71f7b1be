// The "Couverture 30 min" panel: where new sites would put residents within R minutes of care
// (GET /api/suggest?objective=coverage|set_cover|median&minutes=30&dep=..). The chosen sites are
// drawn as numbered markers; when the answer has a `plan` (residents beyond R minutes commune by
// commune), those communes are highlighted on the commune layer. Every figure says what it is;
// the legend is in the panel.
import { request, serverText, travelText } from './common.js';
import { t, h, d, raw, num, esc } from './i18n.js';

export const BEYOND_LAYER = 'coverage-beyond';
const BEYOND_COLOR = '#6a3d9a';

const OBJECTIVES = ['coverage', 'set_cover', 'median'];
const CANDIDATES = ['all', 'zip', 'zac', 'zip_zac', 'msp_free'];
const label = (group, key) => ((group === 'objective' ? OBJECTIVES : CANDIDATES).includes(key) ? h(`coverage.${group}.${key}`) : d(key));

export function initCoverage(map, { meta, setOverlay }) {
  const toggle = document.getElementById('coverage-toggle');
  const box = document.getElementById('coverage');
  const deps = meta.departements || [];
  let form = { objective: 'coverage', minutes: 30, k: 3, dep: deps.length ? deps[0].code : '', candidates: 'all' };
  let result = null; // { answer } or { error }
  let markers = [];

  function clear() {
    markers.forEach((m) => m.remove());
    markers = [];
    setOverlay(BEYOND_LAYER, null);
  }

  function formHtml() {
    // An option's text is a dictionary's, or data (a département: class "d").
    const opts = (list, v, data) => list.map(([k, text]) => `<option${data ? ' class="d"' : ''} value="${esc(k)}"${k === v ? ' selected' : ''}>${text}</option>`).join('');
    return `<form id="coverage-form">
      <label class="field">${h('coverage.objective_label')} <select id="coverage-objective">${opts(OBJECTIVES.map((k) => [k, label('objective', k)]), form.objective)}</select></label>
      <div class="count">${h(`coverage.hint.${form.objective}`)}</div>
      <label class="field">${h('coverage.minutes_before')} <input id="coverage-minutes" type="number" min="1" max="60" step="1" value="${form.minutes}"> ${h('coverage.minutes_after')}</label>
      <label class="field" ${form.objective === 'set_cover' ? 'hidden' : ''}>${h('coverage.k_label')} <input id="coverage-k" type="number" min="1" max="20" step="1" value="${form.k}"></label>
      <label class="field">${h('common.departement')} <select id="coverage-dep">${opts(deps.map((x) => [x.code, `${esc(x.code)} ${esc(x.name)}`]), form.dep, true)}</select></label>
      <label class="field">${h('coverage.candidates_label')} <select id="coverage-candidates">${opts(CANDIDATES.map((k) => [k, label('candidates', k)]), form.candidates)}</select></label>
      <button type="submit" id="coverage-run">${h('common.compute')}</button>
    </form>`;
  }

  /** The figures and legend of an answer: a `plan` (sites, residents beyond, optimality), or
   * only a `suggestion` (sites and residents covered) from a server without plans. */
  function resultHtml(ans) {
    const R = num(ans.minutes);
    const travel = travelText(ans.travel_times, meta);
    const p = ans.plan;
    const legend = `<div class="coverage-legend" id="coverage-legend"><strong>${h('page.legend')}</strong>
      <div class="row"><span class="plan-site swatch-site">1</span>${h('coverage.l_site')}</div>
      <div class="row"><span class="swatch msp-swatch"></span>${h('coverage.l_msp')}</div>
      ${p ? `<div class="row"><span class="swatch" style="background:${BEYOND_COLOR}"></span>${h('coverage.l_beyond', { r: R })}</div>` : ''}
      <div class="source">${h('coverage.l_source', { travel: raw(travel) })}</div></div>`;
    if (p) {
      const opt = p.optimality;
      const optimal = opt.exact ? h('coverage.optimal') : h('coverage.gap', { gap: num(opt.gap * 100, 1), bound: num(opt.bound, 1) });
      const sites = p.sites.map((s) => `<li>${d(s.name)} <span class="count">(${d(s.code)})</span>${s.newly_covered !== undefined ? ` : ${h('coverage.newly', { n: num(s.newly_covered), r: R })}` : ''}</li>`).join('');
      const far = p.beyond.slice(0, 8).map((c) => `<li>${d(c.name)} : ${c.minutes === null ? h('coverage.out_of_reach') : h('common.minutes', { n: num(c.minutes, 0) })}, ${h('common.inh', { n: num(c.population) })}</li>`).join('');
      return `<table id="coverage-figures">
        <tr><td>${h('coverage.new_sites')}</td><td class="num"><b id="coverage-sites">${d(num(p.sites.length))}</b></td></tr>
        <tr><td>${h('coverage.beyond_any', { r: R })}</td><td class="num"><span id="coverage-beyond">${d(num(p.population_beyond_before))} → ${d(num(p.population_beyond))}</span></td></tr>
        <tr><td>${h('coverage.communes_beyond', { r: R })}</td><td class="num">${h('coverage.of', { n: num(p.beyond.length), total: num(p.communes) })}</td></tr>
        <tr><td>${h('coverage.mean_time')}</td><td class="num">${d(num(p.mean_minutes_before, 1))} → ${h('common.minutes', { n: num(p.mean_minutes, 1) })}</td></tr>
        <tr><td>${h('coverage.quality')}</td><td class="num">${optimal}</td></tr>
      </table>
      <ol class="plan-sites">${sites}</ol>
      ${far ? `<div><strong>${h('coverage.farthest')}</strong><ul>${far}</ul></div>` : ''}
      <ul class="methods">
        <li>${label('objective', p.objective)} : ${OBJECTIVES.includes(p.objective) ? h(`coverage.hint.${p.objective}`) : ''} ${h('coverage.r_is', { r: R })}</li>
        <li>${h('coverage.demand', { n: num(p.communes), inh: num(p.population) })}</li>
        <li>${h('coverage.candidates_text', { which: raw(label('candidates', p.candidate_filter)), n: num(p.candidates), msp: num(p.existing_msp) })}</li>
      </ul>${legend}`;
    }
    const s = ans.suggestion;
    if (!s) return `<div class="error">${h('coverage.empty_answer')}</div>`;
    const sites = s.sites.map((x) => `<li>${d(x.name)} <span class="count">(${d(x.code)})</span> : ${h('coverage.newly', { n: num(x.marginal_gain), r: R })}</li>`).join('');
    return `<table id="coverage-figures">
        <tr><td>${h('coverage.new_sites')}</td><td class="num"><b id="coverage-sites">${d(num(s.sites.length))}</b></td></tr>
        <tr><td>${h('coverage.beyond_msp_or_site', { r: R })}</td><td class="num"><span id="coverage-beyond">${d(num(s.population - s.before))} → ${d(num(s.population - s.after))}</span></td></tr>
        <tr><td>${h('coverage.dep_population')}</td><td class="num">${d(num(s.population))}</td></tr>
      </table>
      <ol class="plan-sites">${sites}</ol>
      <ul class="methods"><li>${h('coverage.greedy', { k: num(ans.k), r: R, n: num(s.candidates) })}</li>
        <li id="coverage-no-plan">${h('coverage.no_plan', { r: R })}</li></ul>${legend}`;
  }

  function render() {
    box.innerHTML = `<button class="close" aria-label="${esc(t('common.close'))}" title="${esc(t('common.close'))}">×</button><h3>${h('coverage.title', { r: num(form.minutes) })}</h3>
      <div class="count">${h('coverage.intro')}</div>
      ${formHtml()}
      <div id="coverage-result">${!result ? '' : result.error ? `<div class="error" id="coverage-error" role="alert">${result.error}</div>` : resultHtml(result.answer)}</div>`;
    box.querySelector('.close').addEventListener('click', () => { box.hidden = true; toggle.setAttribute('aria-pressed', 'false'); clear(); result = null; });
    const f = box.querySelector('#coverage-form');
    f.querySelector('#coverage-objective').addEventListener('change', (e) => { read(); form.objective = e.target.value; render(); });
    f.addEventListener('submit', (e) => { e.preventDefault(); read(); run(); });
  }

  function read() {
    const v = (id) => box.querySelector(id).value;
    form = { objective: v('#coverage-objective'), minutes: Number(v('#coverage-minutes')), k: Number(v('#coverage-k')), dep: v('#coverage-dep'), candidates: v('#coverage-candidates') };
  }

  async function run() {
    clear();
    const q = new URLSearchParams({ objective: form.objective, minutes: String(form.minutes), dep: form.dep });
    if (form.objective !== 'set_cover') q.set('k', String(form.k));
    if (form.candidates !== 'all') q.set('candidates', form.candidates);
    const r = await request(`/api/suggest?${q}`);
    result = r.ok ? { answer: r.body } : { error: h('common.refused', { message: raw(serverText(r.body.error)) }), raw: r.body.error };
    if (r.ok && form.candidates !== 'all' && r.body.candidates === undefined) {
      result = { error: h('coverage.no_candidates') };
    }
    render();
    if (result.answer) draw(result.answer);
  }

  function draw(ans) {
    const sites = ans.plan ? ans.plan.sites : ans.suggestion ? ans.suggestion.sites : [];
    markers = sites.map((s, i) => {
      const el = document.createElement('div');
      el.className = 'plan-site';
      el.textContent = String(i + 1);
      el.title = t('coverage.marker', { n: String(i + 1), name: s.name });
      return new maplibregl.Marker({ element: el }).setLngLat(s.point).addTo(map);
    });
    if (ans.plan && ans.plan.beyond.length) {
      const codes = ans.plan.beyond.map((c) => c.code);
      const minutes = new Map(ans.plan.beyond.map((c) => [c.code, c.minutes]));
      setOverlay(BEYOND_LAYER, {
        layer: {
          id: BEYOND_LAYER, type: 'fill', source: 'medatlas', 'source-layer': 'communes',
          filter: ['in', ['get', 'code'], ['literal', codes]],
          paint: { 'fill-color': BEYOND_COLOR, 'fill-opacity': 0.75, 'fill-outline-color': '#3f007d' },
        },
        tooltip: (p) => (minutes.has(p.code) ? h('coverage.tooltip', { name: p.name, code: p.code, time: minutes.get(p.code) === null ? t('coverage.out_of_reach') : t('common.minutes', { n: num(minutes.get(p.code), 0) }) }) : null),
      });
    }
    if (sites.length) {
      const b = new maplibregl.LngLatBounds();
      sites.forEach((s) => b.extend(s.point));
      // Clear of the planner's column on the right and of the toolbar.
      map.fitBounds(b, { padding: { top: 80, bottom: 40, left: 60, right: 440 }, maxZoom: 9, duration: 0 });
    }
  }

  toggle.addEventListener('click', () => {
    const open = box.hidden;
    box.hidden = !open;
    toggle.setAttribute('aria-pressed', String(open));
    if (open) render();
    else { clear(); result = null; }
  });
}
