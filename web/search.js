// The search box (an ARIA combobox): communes by name (accent- and case-insensitive, "St" =
// Saint), INSEE code or postal code, from /api/search; and the départements (/api/meta) and
// EPCI (/api/indicators?level=epci) whose name or code matches, which become a perimeter.
// Arrow keys move through the results, Enter picks, Escape closes the list; a click picks too.
import { request } from './common.js';
import { h, d, num } from './i18n.js';

/** The key of a name for matching: no accents, case, hyphens or apostrophes; "st" = saint. */
const fold = (s) => String(s).normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, ' ').replace(/\bst\b/g, 'saint').replace(/\bste\b/g, 'sainte').trim();

export function initSearch(map, meta, onPick) {
  const form = document.getElementById('search');
  const input = document.getElementById('search-input');
  const list = document.getElementById('search-results');
  let hits = [];
  let active = 0;
  let seq = 0;
  let epcis = null; // [{code, name}] once asked for

  function open(value) {
    list.hidden = !value;
    input.setAttribute('aria-expanded', String(value));
    if (!value) input.removeAttribute('aria-activedescendant');
  }

  function hitHtml(hit) {
    if (hit.kind === 'dep') return `${d(hit.name)} <small>${h('search.dep_hit', { code: hit.code })}</small>`;
    if (hit.kind === 'epci') return `${d(hit.name)} <small>${h('search.epci_hit', { n: num(hit.count) })}</small>`;
    const how = hit.matched === 'postal_code' ? ` · ${h('search.postal_code')}` : hit.matched === 'former_name' ? ` · ${h('search.formerly', { name: hit.former_name })}` : '';
    return `${d(hit.name)} <small>${d(hit.code)} · ${d(hit.dep)} · ${h('search.inhabitants', { n: num(hit.population) })}${how}</small>`;
  }

  function render(message) {
    open(true);
    if (message) {
      list.innerHTML = `<li class="empty" role="option" aria-disabled="true">${message}</li>`;
      return;
    }
    list.innerHTML = hits.map((hit, i) => `<li id="search-opt-${i}" role="option" aria-selected="${i === active}" data-i="${i}" data-kind="${hit.kind}" class="${i === active ? 'active' : ''}">${hitHtml(hit)}</li>`).join('');
    input.setAttribute('aria-activedescendant', `search-opt-${active}`);
  }

  /** Départements and EPCI whose folded name contains the query, or whose code is it. */
  async function areas(q) {
    const key = fold(q);
    if (key.length < 2) return [];
    if (!epcis) {
      const r = await request('/api/indicators?level=epci');
      epcis = r.ok ? r.body.areas.filter((a) => a.name).map((a) => ({ code: a.code, name: a.name, count: a.commune_count })) : [];
    }
    const match = (a) => a.code === q.trim() || fold(a.name).includes(key);
    return [
      ...(meta.departements || []).filter(match).map((x) => ({ kind: 'dep', code: x.code, name: x.name })),
      ...epcis.filter(match).slice(0, 4).map((x) => ({ kind: 'epci', ...x })),
    ];
  }

  async function lookup() {
    const q = input.value.trim();
    const mine = ++seq;
    if (!q) { open(false); hits = []; return; }
    const [r, more] = await Promise.all([request(`/api/search?q=${encodeURIComponent(q)}&limit=8`), areas(q)]);
    if (mine !== seq) return; // an answer to an older query
    if (!r.ok) { hits = []; render(h('search.error', { message: r.body.error })); return; }
    hits = [...r.body.hits.map((x) => ({ kind: 'commune', ...x })), ...more];
    active = 0;
    if (!hits.length) render(h('search.no_match', { q }));
    else render();
  }

  function pick(i) {
    const hit = hits[i];
    if (!hit) return;
    open(false);
    input.value = hit.name;
    if (hit.bbox) map.fitBounds([[hit.bbox[0], hit.bbox[1]], [hit.bbox[2], hit.bbox[3]]], { padding: 80, maxZoom: 12, duration: 800 });
    onPick(hit);
  }

  let timer = null;
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(lookup, 200); });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (!hits.length) return;
      active = (active + (e.key === 'ArrowDown' ? 1 : hits.length - 1)) % hits.length;
      render();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      if (!list.hidden) open(false);
      else input.value = '';
    }
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearTimeout(timer);
    if (!hits.length || list.hidden) await lookup();
    pick(active);
  });
  list.addEventListener('click', (e) => {
    const li = e.target.closest('li[data-i]');
    if (li) pick(Number(li.dataset.i));
  });
}
