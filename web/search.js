// The search box: communes by name (accent- and case-insensitive, "St" = Saint), INSEE code
// or postal code, from /api/search; Enter or a click flies to the commune.
import { request, esc, fmt } from './common.js';

export function initSearch(map, onPick) {
  const form = document.getElementById('search');
  const input = document.getElementById('search-input');
  const list = document.getElementById('search-results');
  let hits = [];
  let active = 0;
  let seq = 0;

  function render(message) {
    list.hidden = false;
    if (message) {
      list.innerHTML = `<li class="empty">${esc(message)}</li>`;
      return;
    }
    list.innerHTML = hits.map((h, i) => {
      const how = h.matched === 'postal_code' ? ' · postal code' : h.matched === 'former_name' ? ` · formerly ${esc(h.former_name)}` : '';
      return `<li data-i="${i}" class="${i === active ? 'active' : ''}">${esc(h.name)} <small>${esc(h.code)} · ${esc(h.dep)} · ${fmt(h.population)} inh.${how}</small></li>`;
    }).join('');
  }

  async function lookup() {
    const q = input.value.trim();
    const mine = ++seq;
    if (!q) { list.hidden = true; hits = []; return; }
    const r = await request(`/api/search?q=${encodeURIComponent(q)}&limit=8`);
    if (mine !== seq) return; // an answer to an older query
    if (!r.ok) { hits = []; render(r.body.error); return; }
    hits = r.body.hits;
    active = 0;
    if (!hits.length) render(`No match for “${q}”`);
    else render();
  }

  function pick(i) {
    const h = hits[i];
    if (!h) return;
    list.hidden = true;
    input.value = h.name;
    map.fitBounds([[h.bbox[0], h.bbox[1]], [h.bbox[2], h.bbox[3]]], { padding: 80, maxZoom: 12, duration: 800 });
    onPick(h);
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
      list.hidden = true;
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
