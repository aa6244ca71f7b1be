// The commune panel (indicators, zoning, 3 nearest MSP, its département's 2022 aids, downloads)
// and the MSP popup.
import { request, esc, fmt, nearRetirementHtml, tableRow as row } from './common.js';

/** Seed 002's aid categories, as the atlas keys them. */
const AID_LABELS = {
  aide_financiere_internes_stage: 'Aide financière aux internes en stage',
  accueil_internes_stage: 'Accueil des internes en stage',
  accompagnement_installation: "Accompagnement à l'installation",
  aide_financiere_installation: "Aide financière à l'installation",
  bourse_etude_contre_installation: "Bourse d'études contre engagement d'installation",
  soutien_msp: 'Soutien aux MSP',
  logement_internes: 'Logement des internes',
  aide_formation_msu: 'Aide à la formation de maîtres de stage (MSU)',
  aide_emploi_conjoint: "Aide à l'emploi du conjoint",
  developpement_salariat: 'Développement du salariat',
  promotion_territoire: 'Promotion du territoire',
  accueil_internes_pmi: "Accueil d'internes en PMI",
};

const panel = document.getElementById('panel');

function aidsHtml(dep) {
  if (!dep) return '';
  const title = `<div><strong>${esc(dep.name)}: departmental aids in 2022</strong></div>`;
  if (!dep.aids_2022) return `${title}<div class="count">Not in the 2022 table of departmental aids.</div>`;
  const cats = Object.entries(dep.aids_2022.categories);
  if (!cats.length) return `${title}<div class="count">Listed in the 2022 table with no aid marked.</div>`;
  const items = cats.map(([k, note]) => `<li>${esc(AID_LABELS[k] || k)}${note ? ` — <i>${esc(note)}</i>` : ''}</li>`).join('');
  return `${title}<ul class="aids">${items}</ul><div class="count">Source: atlas of departmental aids 2022 (seed 002)</div>`;
}


/** Opens the panel of a commune by INSEE code. */
export async function openCommune(code) {
  const c = encodeURIComponent(code);
  const [commune, ind, near] = await Promise.all([
    request(`/api/communes/${c}`),
    request(`/api/communes/${c}/indicators`),
    request(`/api/communes/${c}/nearest-msp?k=3`),
  ]);
  panel.hidden = false;
  if (!commune.ok) {
    panel.innerHTML = `<div class="error">${esc(commune.body.error)}</div>`;
    return;
  }
  const k = commune.body;
  const a = ind.ok ? ind.body.area : {};
  const dep = await request(`/api/departements/${encodeURIComponent(k.dep)}`);
  const sites = near.ok
    ? near.body.sites.map((s) => `<li>${esc(s.name)}${s.commune_name ? ` <span class="count">(${esc(s.commune_name)})</span>` : ''} — ${fmt(s.distance_m / 1000, 1)} km (${minutesText(s.minutes, near.body.travel_times)})</li>`).join('')
    : `<li>${esc(near.body.error)}</li>`;
  const gp = k.gp ? k.gp : null;
  const est = gp && gp.near_retirement_estimate;
  const nearMethod = est ? `${est.method}; département ${est.dep}: ${fmt(est.share * 100, 1)} % (${est.source})` : '';
  const gpSource = gp ? `<div class="count gp-source">GP counts: ${esc(gp.source)}</div>` : '';
  const why = (field) => (a.missing && a.missing[field] ? ` <span class="count">${esc(a.missing[field])}</span>` : '');
  panel.innerHTML = `<button class="close" aria-label="close">×</button>
    <h3 id="panel-name">${esc(k.name)} (${esc(k.code)})</h3>
    <div class="count">${esc(k.dep_name || k.dep)}${k.epci ? ` · ${esc(k.epci.name)}` : ''}</div>
    <table>
      ${row('Population', fmt(k.population))}
      ${row('GPs', gp ? fmt(gp.gp) : 'n/a')}
      ${row('of which near retirement (55+)', gp ? nearRetirementHtml(gp.gp_near_retirement, gp.gp_near_retirement_estimated, nearMethod) : 'n/a')}
      ${row('GPs per 10,000', fmt(a.gp_per_10k, 1) + why('gp_per_10k'))}
      ${row('GPs per 10,000 in 5 years', fmt(a.gp_per_10k_projected, 1) + why('gp_per_10k_projected'))}
      ${row('APL computed by medatlas (2.5 = under-served)', fmt(a.apl, 2) + why('apl'))}
      ${row(`APL official, DREES${a.apl_official_year ? ` ${a.apl_official_year}` : ''}`, fmt(a.apl_official, 2) + why('apl_official'))}
      ${row('Zoning', esc(k.zoning || 'none'))}
      ${row('MSP in the commune', fmt(k.msp_count))}
    </table>
    ${gpSource}
    ${a.low_population ? '<div class="count">Small population: values are fragile.</div>' : ''}
    <div style="margin-top:6px"><strong>Nearest MSP</strong><ol>${sites}</ol></div>
    ${aidsHtml(dep.ok ? dep.body : null)}
    <div style="margin-top:6px">Download: <a id="download-json" href="/api/communes/${c}/indicators?format=json" download="${esc(k.code)}.json">JSON</a>
      · <a id="download-csv" href="/api/communes/${c}/indicators?format=csv" download="${esc(k.code)}.csv">CSV</a></div>`;
  panel.querySelector('.close').addEventListener('click', () => { panel.hidden = true; });
}

/** Car minutes to an MSP as the API gives them: routed (a matrix is loaded) or estimated. */
function minutesText(minutes, source) {
  if (minutes === null || minutes === undefined) return 'beyond the routed matrix';
  return `~${Math.round(minutes)} min by road, ${source === 'matrix' ? 'routed' : 'estimated'}`;
}

/** A popup on an MSP point. */
export function openSite(map, lngLat, p) {
  const where = p.location_quality === 'town_hall' ? 'placed at the town hall of its commune (exact address unknown)' : 'exact position';
  new maplibregl.Popup({ closeButton: true, maxWidth: '260px' })
    .setLngLat(lngLat)
    .setHTML(`<strong class="site-name">${esc(p.name)}</strong><div>${esc(p.kind === 'msp' ? 'Maison de santé pluriprofessionnelle' : p.kind)}</div>` +
      `<div class="count">Commune ${esc(p.commune)}; ${where}</div>`)
    .addTo(map);
}
