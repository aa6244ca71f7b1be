// The "Dans N ans" panel: access after the near-retirement GPs leave (GET /api/projection?years=
// &horizon=&replacement=[&dep=], field names as the README's "Projection" section gives them).
// The figures and assumptions go in the panel; the map switches to the projected APL
// (styles/apl_projection.json?projection=years,horizon,replacement, tiles ?projection=), with
// a French legend in place of the style's.
import { request, serverText, travelText } from './common.js';
import { t, h, d, raw, num, pct, esc } from './i18n.js';

export const PROJECTION_LEGEND = 'projection-legend';

export function initProjection({ meta, showProjection, setOverlay }) {
  const toggle = document.getElementById('projection-toggle');
  const box = document.getElementById('projection');
  const deps = meta.departements || [];
  let form = { years: 5, horizon: 10, replacement: 30, dep: '' };
  let result = null;

  function render() {
    const depOptions = [['', h('projection.whole_atlas')], ...deps.map((x) => [x.code, `${esc(x.code)} ${esc(x.name)}`, true])]
      .map(([k, text, data]) => `<option${data ? ' class="d"' : ''} value="${esc(k)}"${k === form.dep ? ' selected' : ''}>${text}</option>`).join('');
    box.innerHTML = `<button class="close" aria-label="${esc(t('common.close'))}" title="${esc(t('common.close'))}">×</button><h3>${h('projection.title', { n: num(form.years) })}</h3>
      <div class="count">${h('projection.intro')}</div>
      <form id="projection-form">
        <label class="field">${h('projection.in_before')} <input id="projection-years" type="number" min="0" max="30" step="1" value="${form.years}"> ${h('projection.years_unit')}</label>
        <label class="field">${h('projection.horizon_before')} <input id="projection-horizon" type="number" min="1" max="30" step="1" value="${form.horizon}"> ${h('projection.years_unit')}</label>
        <label class="field">${h('projection.replaced_before')} <input id="projection-replacement" type="number" min="0" max="100" step="5" value="${form.replacement}"> %</label>
        <label class="field">${h('projection.territory')} <select id="projection-dep">${depOptions}</select></label>
        <button type="submit" id="projection-run">${h('common.compute')}</button>
      </form>
      <div id="projection-result">${!result ? '' : result.error ? `<div class="error" id="projection-error" role="alert">${result.error}</div>` : resultHtml(result.answer)}</div>`;
    box.querySelector('.close').addEventListener('click', close);
    box.querySelector('#projection-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const v = (id) => box.querySelector(id).value;
      form = { years: Number(v('#projection-years')), horizon: Number(v('#projection-horizon')), replacement: Number(v('#projection-replacement')), dep: v('#projection-dep') };
      run();
    });
  }

  function resultHtml(ans) {
    const a = ans.assumptions;
    const s = form.dep ? (ans.departements || []).find((x) => x.code === form.dep) || ans.summary : ans.summary;
    const nr = a.near_retirement || {};
    const crossing = (ans.crossing || []).slice(0, 8).map((c) => `<li>${d(c.name)} <span class="count">(${c.zoning ? d(c.zoning) : h('zoning.none')})</span> : ${d(num(c.apl_now))} → ${d(num(c.apl_projected))}${c.apl_projected_estimated ? '*' : ''}</li>`).join('');
    const counted = nr.estimated
      ? h('projection.m_near_estimated', { n: num(nr.communes_estimated) }) + (nr.communes_counted ? h('projection.m_near_counted', { n: num(nr.communes_counted) }) : '') + (nr.communes_unknown ? h('projection.m_near_unknown', { n: num(nr.communes_unknown) }) : '') + h('projection.m_near_star')
      : h('projection.m_near_counts');
    return `<table id="projection-figures">
        <tr><td>${h('ind.gp')}</td><td class="num">${d(num(s.gp_now, 1))} → ${d(num(s.gp_projected, 1))}</td></tr>
        <tr><td>${h('projection.mean_apl')}</td><td class="num">${d(num(s.apl_now))} → ${d(num(s.apl_projected))}</td></tr>
        <tr><td>${h('impact.under')}</td><td class="num"><span id="projection-under">${d(num(s.residents_under_now))} → ${d(num(s.residents_under_projected))}</span></td></tr>
        <tr><td>${h('projection.crossing')}</td><td class="num"><b id="projection-crossing">${d(num(s.communes_crossing))}</b> (${h('common.inh', { n: num(s.residents_crossing) })})</td></tr>
        <tr><td>${h('projection.zac_crossing')}</td><td class="num">${d(num(s.zac_meeting_zip_criterion))}</td></tr>
      </table>
      ${crossing ? `<div><strong>${h('projection.crossing')}</strong><ul>${crossing}</ul></div>` : ''}
      <ul class="methods">
        <li>${h('projection.m_departures', { horizon: num(a.horizon), years: num(a.years), departed: pct(a.departed_fraction, 0), replaced: pct(a.replacement, 0) })}</li>
        <li>${h('projection.m_near', { text: raw(counted) })}</li>
        <li>${h('projection.m_apl', { travel: raw(travelText(a.travel_times, meta)) })}</li>
        <li>${h('projection.m_ignores')}</li>
      </ul>`;
  }

  function legendModel(ans) {
    const colors = ['#b2182b', '#ef8a62', '#d1e5f0', '#67a9cf', '#2166ac'];
    const a = ans.assumptions;
    return {
      title: h('projection.legend_title', { n: num(a.years) }),
      unit: h('common.apl_unit'),
      rows: [
        ...colors.map((c, k) => ({ color: c, label: h(`projection.labels.${k}`) })),
        { color: '#d9d9d9', label: h('legend.no_data') },
        { color: '#ffffff', outline: '#111111', label: h('projection.l_outline') },
      ],
      classes: h('projection.l_classes'),
      source: h('projection.l_source', { departed: pct(a.departed_fraction, 0), replaced: pct(a.replacement, 0) }),
      notes: [],
    };
  }

  async function run() {
    const q = new URLSearchParams({ years: String(form.years), horizon: String(form.horizon), replacement: String(form.replacement / 100), rows: 'crossing' });
    if (form.dep) q.set('dep', form.dep);
    const r = await request(`/api/projection?${q}`);
    result = r.ok ? { answer: r.body } : { error: r.status === 404 ? h('projection.no_endpoint') : h('common.refused', { message: raw(serverText(r.body.error)) }) };
    render();
    if (!r.ok) return;
    await showProjection(`${form.years},${form.horizon},${form.replacement / 100}`);
    setOverlay(PROJECTION_LEGEND, {
      legend: legendModel(r.body),
      extra: `<button type="button" id="projection-hide">${h('common.back_to_map')}</button>`,
      wire: (el) => el.querySelector('#projection-hide').addEventListener('click', hide),
      tooltip: (p) => h(p.crosses_zip_criterion ? 'projection.tooltip_crossing' : 'projection.tooltip', { name: p.name, code: p.code, n: num(form.years), later: num(p.apl_projected), now: num(p.apl) }),
    });
  }

  async function hide() {
    setOverlay(PROJECTION_LEGEND, null);
    await showProjection(null);
  }

  function close() {
    box.hidden = true;
    toggle.setAttribute('aria-pressed', 'false');
    if (result && result.answer) hide();
    result = null;
  }

  toggle.addEventListener('click', () => {
    if (!box.hidden) return close();
    box.hidden = false;
    toggle.setAttribute('aria-pressed', 'true');
    render();
  });
}
