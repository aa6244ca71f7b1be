// The commune panel (indicators, zoning, 3 nearest MSP, its département's 2022 aids, downloads,
// its EPCI or département as a perimeter, a printable summary) and the MSP popup.
import { request, nearRetirementHtml, tableRow as row, serverText, sourceName } from './common.js';
import { t, h, d, raw, num, pct, esc, has } from './i18n.js';
import { printSummary } from './export.js';

const panel = document.getElementById('panel');
let opener = null;

function aidsHtml(dep) {
  if (!dep) return '';
  const title = `<div><strong>${h('panel.aids_title', { dep: dep.name })}</strong></div>`;
  if (!dep.aids_2022) return `${title}<div class="count">${h('panel.aids_none')}</div>`;
  const cats = Object.entries(dep.aids_2022.categories);
  if (!cats.length) return `${title}<div class="count">${h('panel.aids_empty')}</div>`;
  const items = cats.map(([k, note]) => `<li>${has(`aids.${k}`) ? h(`aids.${k}`) : d(k)}${note ? ` — <i>${d(note)}</i>` : ''}</li>`).join('');
  return `${title}<ul class="aids">${items}</ul><div class="count">${h('panel.aids_source')}</div>`;
}

/** Closes the panel and gives the focus back to where it came from. */
export function closePanel() {
  panel.hidden = true;
  if (opener && opener.isConnected) opener.focus();
}

/** Opens the panel of a commune by INSEE code; `onArea({kind, code, name})` adds its EPCI or
 * département to the perimeter. */
export async function openCommune(code, { onArea } = {}) {
  opener = document.activeElement && document.activeElement !== document.body ? document.activeElement : null;
  const c = encodeURIComponent(code);
  const [commune, ind, near] = await Promise.all([
    request(`/api/communes/${c}`),
    request(`/api/communes/${c}/indicators`),
    request(`/api/communes/${c}/nearest-msp?k=3`),
  ]);
  panel.hidden = false;
  if (!commune.ok) {
    panel.innerHTML = `<button class="close" aria-label="${esc(t('common.close'))}" title="${esc(t('common.close'))}">×</button><div class="error">${serverText(commune.body.error)}</div>`;
    panel.querySelector('.close').addEventListener('click', closePanel);
    return;
  }
  const k = commune.body;
  const a = ind.ok ? ind.body.area : {};
  const dep = await request(`/api/departements/${encodeURIComponent(k.dep)}`);
  const sites = near.ok
    ? near.body.sites.map((s) => `<li>${d(s.name)}${s.commune_name ? ` <span class="count">(${d(s.commune_name)})</span>` : ''} — ${h('panel.km', { km: num(s.distance_m / 1000, 1) })} (${minutesText(s.minutes, near.body.travel_times)})</li>`).join('')
    : `<li>${serverText(near.body.error)}</li>`;
  const gp = k.gp ? k.gp : null;
  const est = gp && gp.near_retirement_estimate;
  const nearMethod = est ? t('panel.near_method', { dep: est.dep, share: pct(est.share) }) : '';
  // The counts' source by name in the page's language when medatlas ships it (see sourceName).
  const shipped = gp && ((k.meta && k.meta.sources) || []).find((s) => s.name === gp.source);
  const gpSource = gp ? `<div class="count gp-source">${h('panel.gp_source', { source: shipped ? sourceName(shipped) : gp.source })}</div>` : '';
  const why = (field) => (a.missing && a.missing[field] ? ` <span class="count">${serverText(a.missing[field])}</span>` : '');
  const zoning = k.zoning ? `${d(k.zoning)} <span class="count">${h(`zoning.${k.zoning}`)}</span>` : h('zoning.none');
  panel.innerHTML = `<button class="close" aria-label="${esc(t('common.close'))}" title="${esc(t('common.close'))}">×</button>
    <h3 id="panel-name" tabindex="-1">${d(k.name)} (${d(k.code)})</h3>
    <div class="count">${d(k.dep_name || k.dep)}${k.epci ? ` · ${d(k.epci.name)}` : ''}</div>
    <table>
      ${row(h('ind.population'), d(num(k.population)), 'panel-population')}
      ${row(h('ind.gp'), d(gp ? num(gp.gp) : num(null)))}
      ${row(h('ind.gp_near_retirement'), gp ? nearRetirementHtml(gp.gp_near_retirement, gp.gp_near_retirement_estimated, nearMethod) : d(num(null)))}
      ${row(h('ind.gp_per_10k'), d(num(a.gp_per_10k, 1)) + why('gp_per_10k'))}
      ${row(h('ind.gp_per_10k_projected'), d(num(a.gp_per_10k_projected, 1)) + why('gp_per_10k_projected'))}
      ${row(h('ind.apl'), d(num(a.apl, 2)) + why('apl'))}
      ${row(h('ind.apl_official', { year: a.apl_official_year ? String(a.apl_official_year) : '' }), `<span id="panel-apl-official">${d(num(a.apl_official, 2))}</span>` + why('apl_official'))}
      ${row(h('ind.zoning'), zoning)}
      ${row(h('ind.msp_in_commune'), d(num(k.msp_count)))}
    </table>
    ${gpSource}
    ${a.low_population ? `<div class="count">${h('panel.low_population')}</div>` : ''}
    <div class="block"><strong>${h('panel.nearest_msp')}</strong><ol>${sites}</ol></div>
    ${aidsHtml(dep.ok ? dep.body : null)}
    <div class="block no-print">${h('panel.download')} <a id="download-json" href="/api/communes/${c}/indicators?format=json" download="${esc(k.code)}.json">${h('common.json')}</a>
      · <a id="download-csv" href="/api/communes/${c}/indicators?format=csv" download="${esc(k.code)}.csv">${h('common.csv')}</a></div>
    <div class="buttons no-print">
      ${k.epci ? `<button type="button" id="panel-epci">${h('panel.select_epci')}</button>` : ''}
      <button type="button" id="panel-dep">${h('panel.select_dep')}</button>
      <button type="button" id="panel-print">${h('common.print')}</button>
    </div>`;
  panel.querySelector('.close').addEventListener('click', closePanel);
  panel.querySelector('#panel-epci')?.addEventListener('click', () => onArea && onArea({ kind: 'epci', code: k.epci.code, name: k.epci.name, dep: k.dep }));
  panel.querySelector('#panel-dep').addEventListener('click', () => onArea && onArea({ kind: 'dep', code: k.dep, name: k.dep_name || k.dep }));
  panel.querySelector('#panel-print').addEventListener('click', () => printSummary(panel, window.medatlasMap));
  panel.querySelector('#panel-name').focus({ preventScroll: true });
}

/** Car minutes to an MSP as the API gives them: routed (a matrix is loaded) or estimated. */
function minutesText(minutes, source) {
  if (minutes === null || minutes === undefined) return h('panel.beyond_matrix');
  return h(source === 'matrix' ? 'panel.minutes_routed' : 'panel.minutes_estimated', { min: num(Math.round(minutes)) });
}

/** A popup on an MSP point. */
export function openSite(map, lngLat, p) {
  const where = p.location_quality === 'town_hall' ? h('site.at_town_hall') : h('site.exact');
  new maplibregl.Popup({ closeButton: true, maxWidth: '260px' })
    .setLngLat(lngLat)
    .setHTML(`<strong class="site-name">${d(p.name)}</strong><div>${p.kind === 'msp' ? h('site.msp') : d(p.kind)}</div>` +
      `<div class="count">${h('site.commune', { code: p.commune, where: raw(where) })}</div>`)
    .addTo(map);
}
