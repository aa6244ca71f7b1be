// Saved scenarios and the comparison of two. The list (name + id) is kept in this browser's
// localStorage; the server keeps the scenarios themselves (GET /api/scenarios/{id}). Two of
// them compare side by side: a table of their headline figures, and a difference map, the APL
// of B minus that of A per commune. Both impacts give each changed commune's APL change against
// the same baseline, so B − A is ΔB − ΔA (0 where neither changes anything); it is drawn as a
// `match` on the commune code over the commune layer, with a diverging legend.
import { request, esc, fmtFr, signedFr } from './common.js';
import { meanAplChange, methodsHtml, travelText } from './impact.js';

const KEY = 'medatlas.scenarios';
export const DIFF_LAYER = 'compare-diff';
/** Diverging classes of B − A (consultations / year / inhabitant): red where A gives more. */
const COLORS = ['#b2182b', '#ef8a62', '#fddbc7', '#f7f7f7', '#d1e5f0', '#67a9cf', '#2166ac'];
const BREAKS = [-1, -0.25, -0.05, 0.05, 0.25, 1];
const LABELS = ['moins de −1 (A nettement meilleur)', '−1 à −0,25', '−0,25 à −0,05', 'à peu près égal (±0,05)', '+0,05 à +0,25', '+0,25 à +1', 'plus de +1 (B nettement meilleur)'];

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
    return saved.map((s) => `<option value="${esc(s.id)}"${s.id === selected ? ' selected' : ''}>${esc(s.name)} (${esc(s.id)})</option>`).join('');
  }

  function renderSaved() {
    savedBox.hidden = !saved.length;
    if (!saved.length) { savedBox.innerHTML = ''; return; }
    const items = saved.map((s, i) => `<li><span class="label"><b>${esc(s.name)}</b> <code>${esc(s.id)}</code></span>
      <button type="button" class="open" data-i="${i}">Ouvrir</button>
      <button type="button" class="forget" data-i="${i}" aria-label="retirer de la liste" title="retirer de la liste (le serveur garde le scénario)">×</button></li>`).join('');
    const a = saved.length >= 2 ? saved[saved.length - 2].id : saved[0].id;
    const b = saved[saved.length - 1].id;
    savedBox.innerHTML = `<h3>Scénarios enregistrés</h3>
      <ul id="saved-list">${items}</ul>
      ${saved.length >= 2 ? `<div class="compare-pick">
        <label>A <select id="compare-a">${options(a)}</select></label>
        <label>B <select id="compare-b">${options(b)}</select></label>
        <button type="button" id="compare-run">Comparer</button></div>` : '<div class="count">Enregistrez un second scénario pour les comparer.</div>'}
      <div class="count">La liste est gardée dans ce navigateur ; les scénarios, par le serveur.</div>`;
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
      box.innerHTML = `<h3>Comparaison</h3><div class="error" id="compare-error">Scénario ${esc(nameOf(bad[0]))} : ${esc(bad[1].body.error)}</div>`;
      setOverlay(DIFF_LAYER, null);
      return;
    }
    const [A, B] = [ra.body, rb.body];
    const [a, b] = [A.impact, B.impact];
    const line = (label, va, vb, digits = 0, id = '') => `<tr${id ? ` id="${id}"` : ''}><td>${label}</td><td class="num">${fmtFr(va, digits)}</td><td class="num">${fmtFr(vb, digits)}</td><td class="num">${va === null || vb === null ? '—' : signedFr(vb - va, digits)}</td></tr>`;
    const cover = a.summary.msp_coverage.map((c, k) => {
      const cb = b.summary.msp_coverage[k];
      return line(`Habitants à ${fmtFr(c.minutes)} min ou moins d’une MSP`, c.after, cb ? cb.after : null);
    }).join('');
    const diff = aplDifference(a, b);
    const changed = [...diff.values()].filter((v) => Math.abs(v) >= 0.05).length;
    box.innerHTML = `<button class="close" aria-label="fermer la comparaison" title="fermer la comparaison">×</button>
      <h3>Comparaison de deux scénarios</h3>
      <div><b>A</b> : ${esc(nameOf(idA))} <code>${esc(idA)}</code><br><b>B</b> : ${esc(nameOf(idB))} <code>${esc(idB)}</code></div>
      <table id="compare-table">
        <tr><th></th><th>A</th><th>B</th><th>B − A</th></tr>
        <tr class="group"><th colspan="4">APL (seuil 2,5)</th></tr>
        ${line('Habitants passant au-dessus de 2,5', a.summary.population_moving_above_threshold, b.summary.population_moving_above_threshold, 0, 'compare-lifted')}
        ${line('Habitants passant sous 2,5', a.summary.population_moving_below_threshold, b.summary.population_moving_below_threshold, 0, 'compare-fallen')}
        ${line('Variation moyenne de l’APL¹', meanAplChange(a), meanAplChange(b), 4, 'compare-mean')}
        <tr class="group"><th colspan="4">Accès à une MSP, après le scénario</th></tr>
        ${cover}
        <tr class="group"><th colspan="4">Équité de l’APL, après le scénario¹</th></tr>
        ${line('Indice de Gini', a.equity.after.gini, b.equity.after.gini, 3, 'compare-gini')}
        ${line('Ratio de Palma', a.equity.after.palma, b.equity.after.palma, 3, 'compare-palma')}
        ${line('Habitants sous 2,5', a.equity.after.population_under, b.equity.after.population_under)}
        <tr class="group"><th colspan="4">Disponibilité spatiale (médecins)</th></tr>
        ${line('Médecins gagnés', a.spatial_availability.gained, b.spatial_availability.gained, 1, 'compare-gained')}
        ${line('Médecins perdus', a.spatial_availability.lost, b.spatial_availability.lost, 1, 'compare-lost')}
      </table>
      <div class="count">¹ Sur les habitants des départements que chaque scénario touche : A ${esc(a.equity.departements.join(', '))}, B ${esc(b.equity.departements.join(', '))} ; moyenne pondérée par la population.</div>
      <div class="count">Carte : APL de B moins APL de A, commune par commune (${fmtFr(changed)} commune(s) à plus de ±0,05).</div>
      <details><summary>Méthodes et hypothèses</summary>${methodsHtml(A, meta)}</details>`;
    box.querySelector('.close').addEventListener('click', close);
    box.scrollIntoView({ block: 'start' });
    const entries = [...diff.entries()].filter(([, v]) => Math.abs(v) >= 0.05);
    const color = entries.length ? ['match', ['get', 'code'], ...entries.flatMap(([code, v]) => [code, colorOf(v)]), COLORS[3]] : COLORS[3];
    const legend = `<div><strong>Différence d’APL : scénario B − scénario A</strong> <span class="unit">(consultations / an / habitant)</span></div>
      ${COLORS.map((c, k) => `<div class="row"><span class="swatch" style="background:${c}"></span>${LABELS[k]}</div>`).join('')}
      <div class="source">Bleu : l’APL est plus haute avec B ; rouge : plus haute avec A. Classes fixes, symétriques autour de 0.</div>
      <div class="source">APL calculée par medatlas (méthode DREES) dans chacun des deux scénarios, ${travelText(A.travel_times, meta)}.</div>
      <button type="button" id="compare-hide">Revenir à la carte</button>`;
    setOverlay(DIFF_LAYER, {
      layer: { id: DIFF_LAYER, type: 'fill', source: 'medatlas', 'source-layer': 'communes', paint: { 'fill-color': color, 'fill-opacity': 1 } },
      legend,
      wire: (el) => el.querySelector('#compare-hide').addEventListener('click', close),
      tooltip: (p) => `${p.name} (${p.code}) — APL B − A : ${diff.has(p.code) ? signedFr(diff.get(p.code), 3) : '0'}`,
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
