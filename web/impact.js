// What a scenario's impact (GET /api/scenarios/{id}/impact) says, for French readers: every
// figure with its method and assumptions, taken from the answer itself (the APL's parameters,
// the travel-time source, spatial availability and its balance, equity before and after).
// Shared by the scenario editor (whatif.js) and the comparison (compare.js).
import { esc, fmtFr, signedFr, tableRow as row } from './common.js';

/** The APL's parameters as the answer's `model` gives them ("APL (DREES steps, 20 min, 5400
 * consultations per GP), …"); null when it says otherwise. */
function aplParams(model) {
  const m = /(\d+(?:\.\d+)?) min, (\d+(?:\.\d+)?) consultations per GP/.exec(model || '');
  return m ? { minutes: Number(m[1]), activity: Number(m[2]) } : null;
}

/** The travel-time source in French, from the answer's kind and the atlas's method (/api/meta). */
export function travelText(kind, meta) {
  const method = meta && meta.travel_times ? meta.travel_times.method : null;
  if (kind === 'matrix') return 'temps routés (matrice de temps de trajet en voiture chargée dans l’atlas)';
  if (kind === 'estimated' && method === 'linear') return 'temps estimés (distance à vol d’oiseau entre mairies × 1,3, à 60 km/h)';
  if (kind === 'estimated') return 'temps estimés (distance à vol d’oiseau entre mairies, loi ajustée sur des temps routés en voiture)';
  return `temps : ${esc(kind)}`;
}

/** The methods and assumptions of an impact, as a list. */
export function methodsHtml(answer, meta) {
  const i = answer.impact;
  const p = aplParams(i.model);
  const apl = p
    ? `APL calculée par medatlas, méthode de la DREES (E2SFCA) : médecins atteints en ${fmtFr(p.minutes)} min au plus, pondérés par les paliers de la DREES, ${fmtFr(p.activity)} consultations par médecin et par an ; seuil de sous-densité 2,5.`
    : `APL calculée par medatlas, méthode de la DREES (E2SFCA) ; seuil de sous-densité 2,5.`;
  const sa = /within (\d+(?:\.\d+)?) min/.exec(i.spatial_availability.model || '');
  const deps = i.equity.departements.join(', ');
  const gps = answer.synthetic_gp ? 'effectifs de médecins <b>synthétiques</b> (modèle, pas des comptes réels)' : 'effectifs de médecins de l’atlas (source dans la légende)';
  return `<ul class="methods">
    <li>${apl}</li>
    <li title="${esc(meta && meta.travel_times ? meta.travel_times.description : '')}">Trajets : ${travelText(answer.travel_times, meta)}.</li>
    <li>Médecins : ${gps} ; une MSP fermée ou déplacée emporte le nombre de médecins indiqué.</li>
    <li>Disponibilité spatiale (Soukhov et al., PLOS ONE 2023) : les médecins de chaque lieu sont répartis entre les communes à ${sa ? `${fmtFr(Number(sa[1]))} min` : 'portée'} au plus, au prorata de leur population × poids du palier ; gains et pertes s’équilibrent (gagnés − perdus = variation de l’offre).</li>
    <li>Équité : indice de Gini et ratio de Palma (part des 10 % d’habitants les mieux servis sur celle des 40 % les moins bien servis) de l’APL, sur les habitants des départements touchés (${esc(deps)}).</li>
  </ul>`;
}

/** Before → after (change). */
function change(before, after, digits = 0) {
  return `${fmtFr(before, digits)} → ${fmtFr(after, digits)} (${signedFr(after - before, digits)})`;
}

/** The few communes whose APL moves most, down (`sign` < 0) or up. */
function movers(i, sign) {
  const list = i.apl.filter((c) => c.delta !== null && Math.sign(c.delta) === sign)
    .sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta)).slice(0, 3);
  return list.map((c) => `${esc(c.name)} ${signedFr(c.delta)}`).join(' · ');
}

/** The figures of an impact, each labelled. */
export function figuresHtml(answer) {
  const i = answer.impact;
  const s = i.summary;
  const a = i.spatial_availability;
  const e = i.equity;
  const balanced = Math.abs(a.balance) < 1e-6;
  const cover = s.msp_coverage.map((c) => row(`Habitants à ${fmtFr(c.minutes)} min ou moins d’une MSP`, change(c.before, c.after))).join('');
  const deps = i.departements.map((d) => row(`${esc(d.name || d.code)} : médecins · APL moyenne`,
    `${fmtFr(d.gp_before, 1)} → ${fmtFr(d.gp_after, 1)} · ${fmtFr(d.apl_before)} → ${fmtFr(d.apl_after)}`)).join('');
  const down = movers(i, -1);
  const up = movers(i, 1);
  return `<table id="whatif-summary">
    <tr class="group"><th colspan="2">APL (seuil 2,5)</th></tr>
    ${row('Habitants passant au-dessus de 2,5', `<b id="lifted">${fmtFr(s.population_moving_above_threshold)}</b>`)}
    ${row('Habitants passant sous 2,5', `<b id="fallen">${fmtFr(s.population_moving_below_threshold)}</b>`)}
    ${row('Habitants dont l’APL augmente', `<span id="higher">${fmtFr(s.population_with_higher_apl)}</span>`)}
    ${row('Habitants dont l’APL baisse', `<span id="lower">${fmtFr(s.population_with_lower_apl)}</span>`)}
    ${row('Communes dont l’APL change', fmtFr(s.communes_with_apl_change))}
    ${down ? row('Plus fortes baisses', down) : ''}
    ${up ? row('Plus fortes hausses', up) : ''}
    <tr class="group"><th colspan="2">Accès à une MSP</th></tr>
    ${cover}
    <tr class="group"><th colspan="2">Disponibilité spatiale (médecins)</th></tr>
    ${row('Médecins gagnés par les communes qui gagnent', `<span id="sa-gained">${fmtFr(a.gained, 1)}</span>`)}
    ${row('Médecins perdus par les communes qui perdent', `<span id="sa-lost">${fmtFr(a.lost, 1)}</span>`)}
    ${row('Variation de l’offre à portée', signedFr(a.supply_change, 1))}
    ${row('Bilan (gagnés − perdus − variation)', `<span id="sa-balance">${balanced ? 'équilibré (0)' : fmtFr(a.balance, 6)}</span>`)}
    ${row('Communes perdantes', `${fmtFr(a.communes_losing)} (${fmtFr(a.population_losing)} hab.)`)}
    <tr class="group"><th colspan="2">Équité (départements ${esc(e.departements.join(', '))})</th></tr>
    ${row('Indice de Gini de l’APL', `${fmtFr(e.before.gini, 3)} → ${fmtFr(e.after.gini, 3)}`)}
    ${row('Ratio de Palma de l’APL', `${fmtFr(e.before.palma, 3)} → ${fmtFr(e.after.palma, 3)}`)}
    ${row('Habitants sous 2,5', change(e.before.population_under, e.after.population_under))}
    <tr class="group"><th colspan="2">Départements</th></tr>
    ${deps}
  </table>
  ${i.gps_not_removable > 0 ? `<div class="note">${fmtFr(i.gps_not_removable, 1)} médecin(s) n’ont pas pu être retirés : la commune en comptait moins.</div>` : ''}`;
}

/** Population-weighted mean change of the APL over the residents of the départements the
 * scenario touches (those of its equity figures). */
export function meanAplChange(i) {
  const pop = i.equity.after.population;
  if (!pop) return null;
  const sum = i.apl.reduce((t, c) => t + (c.delta === null ? 0 : c.delta * c.population), 0);
  return sum / pop;
}
