// What a scenario's impact (GET /api/scenarios/{id}/impact) says: every figure with its method
// and assumptions, taken from the answer itself (the APL's parameters, the travel-time source,
// spatial availability and its balance, equity before and after). Shared by the scenario editor
// (whatif.js) and the comparison (compare.js). Texts: the `impact` part of the dictionaries.
import { tableRow as row, travelText } from './common.js';
import { h, d, raw, num, signed } from './i18n.js';

export { travelText };

/** The APL's parameters as the answer's `model` gives them ("APL (DREES steps, 20 min, 5400
 * consultations per GP), …"); null when it says otherwise. */
function aplParams(model) {
  const m = /(\d+(?:\.\d+)?) min, (\d+(?:\.\d+)?) consultations per GP/.exec(model || '');
  return m ? { minutes: Number(m[1]), activity: Number(m[2]) } : null;
}

/** The methods and assumptions of an impact, as a list. */
export function methodsHtml(answer, meta) {
  const i = answer.impact;
  const p = aplParams(i.model);
  const apl = p ? h('impact.m_apl', { minutes: num(p.minutes), activity: num(p.activity) }) : h('impact.m_apl_plain');
  const sa = /within (\d+(?:\.\d+)?) min/.exec(i.spatial_availability.model || '');
  const deps = i.equity.departements.join(', ');
  const gps = answer.synthetic_gp ? h('impact.m_gps_synthetic') : h('impact.m_gps_atlas');
  return `<ul class="methods">
    <li>${apl}</li>
    <li>${h('impact.m_travel', { travel: raw(travelText(answer.travel_times, meta)) })}</li>
    <li>${h('impact.m_gps', { gps: raw(gps) })}</li>
    <li>${sa ? h('impact.m_sa', { minutes: num(Number(sa[1])) }) : h('impact.m_sa_reach')}</li>
    <li>${h('impact.m_equity', { deps })}</li>
  </ul>`;
}

/** Before → after (change). */
function change(before, after, digits = 0) {
  return `${d(num(before, digits))} → ${d(num(after, digits))} (${d(signed(after - before, digits))})`;
}

/** The few communes whose APL moves most, down (`sign` < 0) or up. */
function movers(i, sign) {
  const list = i.apl.filter((c) => c.delta !== null && Math.sign(c.delta) === sign)
    .sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta)).slice(0, 3);
  return list.map((c) => `${d(c.name)} ${d(signed(c.delta))}`).join(' · ');
}

/** The figures of an impact, each labelled. */
export function figuresHtml(answer) {
  const i = answer.impact;
  const s = i.summary;
  const a = i.spatial_availability;
  const e = i.equity;
  const balanced = Math.abs(a.balance) < 1e-6;
  const cover = s.msp_coverage.map((c) => row(h('impact.within_msp', { minutes: num(c.minutes) }), change(c.before, c.after))).join('');
  const deps = i.departements.map((x) => row(h('impact.dep_line', { name: x.name || x.code }),
    `${d(num(x.gp_before, 1))} → ${d(num(x.gp_after, 1))} · ${d(num(x.apl_before))} → ${d(num(x.apl_after))}`)).join('');
  const down = movers(i, -1);
  const up = movers(i, 1);
  return `<table id="whatif-summary">
    <tr class="group"><th colspan="2">${h('impact.g_apl')}</th></tr>
    ${row(h('impact.lifted'), `<b id="lifted">${d(num(s.population_moving_above_threshold))}</b>`)}
    ${row(h('impact.fallen'), `<b id="fallen">${d(num(s.population_moving_below_threshold))}</b>`)}
    ${row(h('impact.higher'), `<span id="higher">${d(num(s.population_with_higher_apl))}</span>`)}
    ${row(h('impact.lower'), `<span id="lower">${d(num(s.population_with_lower_apl))}</span>`)}
    ${row(h('impact.communes_changed'), d(num(s.communes_with_apl_change)))}
    ${down ? row(h('impact.largest_falls'), down) : ''}
    ${up ? row(h('impact.largest_rises'), up) : ''}
    <tr class="group"><th colspan="2">${h('impact.g_msp')}</th></tr>
    ${cover}
    <tr class="group"><th colspan="2">${h('impact.g_sa')}</th></tr>
    ${row(h('impact.sa_gained'), `<span id="sa-gained">${d(num(a.gained, 1))}</span>`)}
    ${row(h('impact.sa_lost'), `<span id="sa-lost">${d(num(a.lost, 1))}</span>`)}
    ${row(h('impact.sa_supply'), d(signed(a.supply_change, 1)))}
    ${row(h('impact.sa_balance'), `<span id="sa-balance">${balanced ? h('impact.balanced') : d(num(a.balance, 6))}</span>`)}
    ${row(h('impact.losing'), h('impact.communes_inh', { n: num(a.communes_losing), inh: num(a.population_losing) }))}
    <tr class="group"><th colspan="2">${h('impact.g_equity', { deps: e.departements.join(', ') })}</th></tr>
    ${row(h('impact.gini'), `${d(num(e.before.gini, 3))} → ${d(num(e.after.gini, 3))}`)}
    ${row(h('impact.palma'), `${d(num(e.before.palma, 3))} → ${d(num(e.after.palma, 3))}`)}
    ${row(h('impact.under'), change(e.before.population_under, e.after.population_under))}
    <tr class="group"><th colspan="2">${h('impact.g_deps')}</th></tr>
    ${deps}
  </table>
  ${i.gps_not_removable > 0 ? `<div class="note">${h('impact.not_removable', { n: num(i.gps_not_removable, 1) })}</div>` : ''}`;
}

/** Population-weighted mean change of the APL over the residents of the départements the
 * scenario touches (those of its equity figures). */
export function meanAplChange(i) {
  const pop = i.equity.after.population;
  if (!pop) return null;
  const sum = i.apl.reduce((t, c) => t + (c.delta === null ? 0 : c.delta * c.population), 0);
  return sum / pop;
}
