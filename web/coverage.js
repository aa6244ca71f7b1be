// The "Couverture 30 min" panel: where new sites would put residents within R minutes of care
// (GET /api/suggest?objective=coverage|set_cover|median&minutes=30&dep=..). The chosen sites are
// drawn as numbered markers; when the answer has a `plan` (residents beyond R minutes commune by
// commune), those communes are highlighted on the commune layer. Every figure says what it is;
// the legend is in the panel.
import { request, esc, fmtFr } from './common.js';
import { travelText } from './impact.js';

export const BEYOND_LAYER = 'coverage-beyond';
const BEYOND_COLOR = '#6a3d9a';

const OBJECTIVES = [
  ['coverage', 'Couverture maximale (k sites)'],
  ['set_cover', 'Couverture complète (le moins de sites)'],
  ['median', 'p-médiane (temps moyen)'],
];
const OBJECTIVE_HINTS = {
  coverage: 'k nouveaux sites qui mettent le plus d’habitants à moins de R min d’un site.',
  set_cover: 'le moins de nouveaux sites pour que chaque habitant qu’un site peut atteindre soit à moins de R min.',
  median: 'k nouveaux sites qui rendent le temps moyen jusqu’au site le plus proche le plus court.',
};
const CANDIDATES = [
  ['all', 'toutes les communes du département'],
  ['zip', 'communes en ZIP'],
  ['zac', 'communes en ZAC'],
  ['zip_zac', 'communes en ZIP ou ZAC'],
  ['msp_free', 'communes sans MSP'],
];
const label = (list, key) => (list.find(([k]) => k === key) || [key, key])[1];

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
    const opts = (list, v) => list.map(([k, t]) => `<option value="${esc(k)}"${k === v ? ' selected' : ''}>${esc(t)}</option>`).join('');
    return `<form id="coverage-form">
      <label class="field">Objectif <select id="coverage-objective">${opts(OBJECTIVES, form.objective)}</select></label>
      <div class="count">${esc(OBJECTIVE_HINTS[form.objective])}</div>
      <label class="field">Temps R <input id="coverage-minutes" type="number" min="1" max="60" step="1" value="${form.minutes}"> min en voiture</label>
      <label class="field" ${form.objective === 'set_cover' ? 'hidden' : ''}>Nouveaux sites (k) <input id="coverage-k" type="number" min="1" max="20" step="1" value="${form.k}"></label>
      <label class="field">Département <select id="coverage-dep">${opts(deps.map((d) => [d.code, `${d.code} ${d.name}`]), form.dep)}</select></label>
      <label class="field">Sites possibles <select id="coverage-candidates">${opts(CANDIDATES, form.candidates)}</select></label>
      <button type="submit" id="coverage-run">Calculer</button>
    </form>`;
  }

  /** The figures and legend of an answer: a `plan` (sites, residents beyond, optimality), or
   * only a `suggestion` (sites and residents covered) from a server without plans. */
  function resultHtml(ans) {
    const R = fmtFr(ans.minutes);
    const travel = travelText(ans.travel_times, meta);
    const p = ans.plan;
    const legend = `<div class="coverage-legend" id="coverage-legend"><strong>Légende</strong>
      <div class="row"><span class="plan-site swatch-site">1</span>site proposé (mairie de la commune), dans l’ordre d’ouverture</div>
      <div class="row"><span class="swatch msp-swatch"></span>MSP existante, comptée comme site ouvert</div>
      ${p ? `<div class="row"><span class="swatch" style="background:${BEYOND_COLOR}"></span>commune à plus de ${R} min de tout site, après le plan</div>` : ''}
      <div class="source">Trajets : ${travel}. Source des médecins et MSP : voir la légende de la carte.</div></div>`;
    if (p) {
      const opt = p.optimality;
      const optimal = opt.exact ? 'solution optimale prouvée' : `écart à l’optimum au plus ${fmtFr(opt.gap * 100, 1)} % (borne ${fmtFr(opt.bound, 1)})`;
      const sites = p.sites.map((s) => `<li>${esc(s.name)} <span class="count">(${esc(s.code)})</span>${s.newly_covered !== undefined ? ` : +${fmtFr(s.newly_covered)} hab. à moins de ${R} min` : ''}</li>`).join('');
      const far = p.beyond.slice(0, 8).map((c) => `<li>${esc(c.name)} : ${c.minutes === null ? 'hors de portée' : `${fmtFr(c.minutes, 0)} min`}, ${fmtFr(c.population)} hab.</li>`).join('');
      return `<table id="coverage-figures">
        <tr><td>Nouveaux sites</td><td class="num"><b id="coverage-sites">${fmtFr(p.sites.length)}</b></td></tr>
        <tr><td>Habitants à plus de ${R} min de tout site</td><td class="num"><span id="coverage-beyond">${fmtFr(p.population_beyond_before)} → ${fmtFr(p.population_beyond)}</span></td></tr>
        <tr><td>Communes encore au-delà de ${R} min</td><td class="num">${fmtFr(p.beyond.length)} sur ${fmtFr(p.communes)}</td></tr>
        <tr><td>Temps moyen jusqu’au site le plus proche (pondéré par la population)</td><td class="num">${fmtFr(p.mean_minutes_before, 1)} → ${fmtFr(p.mean_minutes, 1)} min</td></tr>
        <tr><td>Qualité de la solution</td><td class="num">${optimal}</td></tr>
      </table>
      <ol class="plan-sites">${sites}</ol>
      ${far ? `<div><strong>Les plus éloignées après le plan</strong><ul>${far}</ul></div>` : ''}
      <ul class="methods">
        <li>${esc(label(OBJECTIVES, p.objective))} : ${esc(OBJECTIVE_HINTS[p.objective] || '')} R = ${R} min.</li>
        <li>Demande : les ${fmtFr(p.communes)} communes du département (${fmtFr(p.population)} hab.), chacune à sa mairie.</li>
        <li>Sites possibles : ${esc(label(CANDIDATES, p.candidate_filter))} (${fmtFr(p.candidates)} mairies) ; ${fmtFr(p.existing_msp)} MSP existantes comptées comme ouvertes.</li>
      </ul>${legend}`;
    }
    const s = ans.suggestion;
    if (!s) return `<div class="error">Réponse sans plan ni suggestion.</div>`;
    const sites = s.sites.map((x) => `<li>${esc(x.name)} <span class="count">(${esc(x.code)})</span> : +${fmtFr(x.marginal_gain)} hab. à moins de ${R} min</li>`).join('');
    return `<table id="coverage-figures">
        <tr><td>Nouveaux sites</td><td class="num"><b id="coverage-sites">${fmtFr(s.sites.length)}</b></td></tr>
        <tr><td>Habitants à plus de ${R} min d’une MSP ou d’un site proposé</td><td class="num"><span id="coverage-beyond">${fmtFr(s.population - s.before)} → ${fmtFr(s.population - s.after)}</span></td></tr>
        <tr><td>Habitants du département</td><td class="num">${fmtFr(s.population)}</td></tr>
      </table>
      <ol class="plan-sites">${sites}</ol>
      <ul class="methods"><li>Couverture maximale (k = ${fmtFr(ans.k)}, R = ${R} min) : ajout glouton puis échanges ; les habitants déjà à moins de ${R} min d’une MSP comptent comme couverts ; sites possibles : les ${fmtFr(s.candidates)} mairies du département.</li>
        <li id="coverage-no-plan">Ce serveur ne donne pas encore les communes au-delà de ${R} min une à une : elles ne sont pas dessinées.</li></ul>${legend}`;
  }

  function render() {
    box.innerHTML = `<button class="close" aria-label="fermer" title="fermer">×</button><h3>Couverture ${fmtFr(form.minutes)} min</h3>
      <div class="count">Où de nouveaux sites de soins mettraient les habitants à moins de R minutes (objectif France Santé : 30 min).</div>
      ${formHtml()}
      <div id="coverage-result">${!result ? '' : result.error ? `<div class="error" id="coverage-error">${esc(result.error)}</div>` : resultHtml(result.answer)}</div>`;
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
    result = r.ok ? { answer: r.body } : { error: `Refusé par le serveur : ${r.body.error}` };
    if (r.ok && form.candidates !== 'all' && r.body.candidates === undefined) {
      result = { error: 'Ce serveur ne sait pas encore restreindre les sites possibles : choisissez « toutes les communes ».' };
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
      el.title = `Site proposé ${i + 1} : ${s.name}`;
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
        tooltip: (p) => (minutes.has(p.code) ? `${p.name} (${p.code}) — à ${minutes.get(p.code) === null ? 'plus de portée' : `${fmtFr(minutes.get(p.code), 0)} min`} du site le plus proche après le plan` : null),
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
