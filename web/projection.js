// The "Dans N ans" panel: access after the near-retirement GPs leave (GET /api/projection?years=
// &horizon=&replacement=[&dep=], field names as the README's "Projection" section gives them).
// The figures and assumptions go in the panel; the map switches to the projected APL
// (styles/apl_projection.json?projection=years,horizon,replacement, tiles ?projection=), with
// a French legend in place of the style's.
import { request, esc, fmtFr } from './common.js';
import { travelText } from './impact.js';

export const PROJECTION_LEGEND = 'projection-legend';

export function initProjection({ meta, showProjection, setOverlay }) {
  const toggle = document.getElementById('projection-toggle');
  const box = document.getElementById('projection');
  const deps = meta.departements || [];
  let form = { years: 5, horizon: 10, replacement: 30, dep: '' };
  let result = null;

  function render() {
    const depOptions = [['', 'toute la région de l’atlas'], ...deps.map((d) => [d.code, `${d.code} ${d.name}`])]
      .map(([k, t]) => `<option value="${esc(k)}"${k === form.dep ? ' selected' : ''}>${esc(t)}</option>`).join('');
    box.innerHTML = `<button class="close" aria-label="fermer" title="fermer">×</button><h3>L’accès dans ${fmtFr(form.years)} ans</h3>
      <div class="count">Si les médecins de 55 ans et plus partent et qu’une part seulement est remplacée.</div>
      <form id="projection-form">
        <label class="field">Dans <input id="projection-years" type="number" min="0" max="30" step="1" value="${form.years}"> ans</label>
        <label class="field">Départs étalés sur <input id="projection-horizon" type="number" min="1" max="30" step="1" value="${form.horizon}"> ans</label>
        <label class="field">Départs remplacés <input id="projection-replacement" type="number" min="0" max="100" step="5" value="${form.replacement}"> %</label>
        <label class="field">Territoire <select id="projection-dep">${depOptions}</select></label>
        <button type="submit" id="projection-run">Calculer</button>
      </form>
      <div id="projection-result">${!result ? '' : result.error ? `<div class="error" id="projection-error">${esc(result.error)}</div>` : resultHtml(result.answer)}</div>`;
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
    const s = form.dep ? (ans.departements || []).find((d) => d.code === form.dep) || ans.summary : ans.summary;
    const nr = a.near_retirement || {};
    const crossing = (ans.crossing || []).slice(0, 8).map((c) => `<li>${esc(c.name)} <span class="count">(${esc(c.zoning || 'sans zonage')})</span> : ${fmtFr(c.apl_now)} → ${fmtFr(c.apl_projected)}${c.apl_projected_estimated ? '*' : ''}</li>`).join('');
    return `<table id="projection-figures">
        <tr><td>Médecins généralistes</td><td class="num">${fmtFr(s.gp_now, 1)} → ${fmtFr(s.gp_projected, 1)}</td></tr>
        <tr><td>APL moyenne (pondérée par la population)</td><td class="num">${fmtFr(s.apl_now)} → ${fmtFr(s.apl_projected)}</td></tr>
        <tr><td>Habitants sous 2,5</td><td class="num"><span id="projection-under">${fmtFr(s.residents_under_now)} → ${fmtFr(s.residents_under_projected)}</span></td></tr>
        <tr><td>Communes passant sous 2,5</td><td class="num"><b id="projection-crossing">${fmtFr(s.communes_crossing)}</b> (${fmtFr(s.residents_crossing)} hab.)</td></tr>
        <tr><td>dont zonées ZAC aujourd’hui (critère de la ZIP atteint)</td><td class="num">${fmtFr(s.zac_meeting_zip_criterion)}</td></tr>
      </table>
      ${crossing ? `<div><strong>Communes passant sous 2,5</strong><ul>${crossing}</ul></div>` : ''}
      <ul class="methods">
        <li>Départs : les médecins de 55 ans et plus partent régulièrement sur ${fmtFr(a.horizon)} ans ; après ${fmtFr(a.years)} ans, ${fmtFr(a.departed_fraction * 100, 0)} % d’entre eux sont partis, ${fmtFr(a.replacement * 100, 0)} % des départs sont remplacés dans la même commune.</li>
        <li>Médecins de 55 ans et plus : ${nr.estimated ? `<b>estimés</b> (part départementale des médecins de 55 ans et plus), ${fmtFr(nr.communes_estimated)} communes estimées${nr.communes_counted ? `, ${fmtFr(nr.communes_counted)} comptées` : ''}${nr.communes_unknown ? `, ${fmtFr(nr.communes_unknown)} inconnues (gardent leurs médecins)` : ''}` : 'comptés'}${nr.estimated ? ' ; * : un médecin à portée a une valeur estimée' : ''}.</li>
        <li>APL recalculée avec la méthode et les paramètres de la DREES, la même population et les mêmes trajets (${travelText(a.travel_times, meta)}).</li>
        <li>Non pris en compte : les médecins qui auront 55 ans pendant la période, les départs anticipés ou tardifs, les arrivées au-delà du remplacement, l’évolution de la population, de nouveaux cabinets.</li>
      </ul>`;
  }

  function legendHtml(ans) {
    const colors = ['#b2182b', '#ef8a62', '#d1e5f0', '#67a9cf', '#2166ac'];
    const labels = ['moins de 1,5', '1,5 à moins de 2,5', '2,5 à moins de 3,5 (seuil 2,5)', '3,5 à moins de 5', '5 ou plus'];
    const a = ans.assumptions;
    return `<div><strong>APL dans ${fmtFr(a.years)} ans</strong> <span class="unit">(consultations / an / habitant)</span></div>
      ${colors.map((c, k) => `<div class="row"><span class="swatch" style="background:${c}"></span>${labels[k]}</div>`).join('')}
      <div class="row"><span class="swatch" style="background:#d9d9d9"></span>pas de donnée</div>
      <div class="row"><span class="swatch" style="background:#fff;border:2px solid #111"></span>passe sous 2,5 (seuil du critère de la ZIP)</div>
      <div class="source">Classes fixes (2,5 en est une limite). APL calculée par medatlas après les départs projetés : ${fmtFr(a.departed_fraction * 100, 0)} % des 55 ans et plus partis, ${fmtFr(a.replacement * 100, 0)} % remplacés ; détails dans le panneau.</div>
      <button type="button" id="projection-hide">Revenir à la carte</button>`;
  }

  async function run() {
    const q = new URLSearchParams({ years: String(form.years), horizon: String(form.horizon), replacement: String(form.replacement / 100), rows: 'crossing' });
    if (form.dep) q.set('dep', form.dep);
    const r = await request(`/api/projection?${q}`);
    result = r.ok ? { answer: r.body } : { error: r.status === 404 ? 'Ce serveur ne calcule pas encore de projection (pas de /api/projection).' : `Refusé par le serveur : ${r.body.error}` };
    render();
    if (!r.ok) return;
    await showProjection(`${form.years},${form.horizon},${form.replacement / 100}`);
    setOverlay(PROJECTION_LEGEND, {
      legend: legendHtml(r.body),
      wire: (el) => el.querySelector('#projection-hide').addEventListener('click', hide),
      tooltip: (p) => `${p.name} (${p.code}) — APL dans ${fmtFr(form.years)} ans : ${fmtFr(p.apl_projected)} (aujourd’hui ${fmtFr(p.apl)})${p.crosses_zip_criterion ? ', passe sous 2,5' : ''}`,
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
