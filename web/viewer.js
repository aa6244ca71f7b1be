// medatlas viewer (work in progress): thematic maps with a switcher, legend, tooltip and a
// commune panel. Everything comes from this server: tiles, styles, API and MapLibre itself.
(async function () {
  const STYLES = [
    ['gp_density', 'GPs per 10,000'],
    ['gp_density_5y', 'GPs per 10,000 in 5 years'],
    ['near_retirement', 'Share near retirement'],
    ['zoning', 'Zoning (ZIP / ZAC / HZ)'],
    ['apl', 'APL (2.5 threshold)'],
  ];
  const params = new URLSearchParams(location.search);
  let current = params.get('style') || 'gp_density';
  const meta = await (await fetch('/api/meta')).json();
  const fetchStyle = async (name) => (await fetch(`/styles/${name}.json`)).json();
  let style = await fetchStyle(current);
  const map = new maplibregl.Map({ container: 'map', style, center: [2.9, 45.7], zoom: 6.8, attributionControl: false });
  window.medatlasMap = map;
  map.addControl(new maplibregl.NavigationControl(), 'top-left');

  const legendEl = document.getElementById('legend');
  function fieldLabel(v) {
    return Number.isInteger(v) ? `${v}` : v.toFixed(2).replace(/0+$/, '').replace(/\.$/, '');
  }
  function drawLegend() {
    const legend = style.metadata && style.metadata['medatlas:legend'];
    const options = STYLES.map(([n, t]) => `<option value="${n}"${n === current ? ' selected' : ''}>${t}</option>`).join('');
    let rows = '';
    if (legend && legend.categories) {
      rows = legend.categories.map(([k, c, label]) => `<div class="row"><span class="swatch" style="background:${c}"></span>${k} — ${label}</div>`).join('');
    } else if (legend) {
      rows = legend.colors.map((c, i) => {
        const lo = legend.breaks[i], hi = legend.breaks[i + 1];
        const label = hi === undefined ? `≥ ${fieldLabel(lo)}` : `${fieldLabel(lo)} – ${fieldLabel(hi)}`;
        const mark = legend.threshold !== undefined && lo === legend.threshold ? ' <b>(threshold)</b>' : '';
        return `<div class="row"><span class="swatch" style="background:${c}"></span>${label}${mark}</div>`;
      }).join('');
    }
    legendEl.innerHTML = `<select id="style-switcher" aria-label="map">${options}</select>` +
      (legend ? `<div><strong>${legend.title}</strong></div>${rows}<div class="row"><span class="swatch" style="background:#d9d9d9"></span>no data</div><div class="source">${legend.source}</div>` : '') +
      (meta.synthetic_gp ? '<div class="note">Synthetic GP counts (seeded model), not real data.</div>' : '');
    document.getElementById('style-switcher').addEventListener('change', async (e) => {
      current = e.target.value;
      style = await fetchStyle(current);
      map.setStyle(style);
      drawLegend();
      history.replaceState(null, '', `?style=${current}`);
    });
  }
  drawLegend();

  const tooltip = document.getElementById('tooltip');
  map.on('mousemove', 'communes-fill', (e) => {
    const p = e.features[0].properties;
    const legend = style.metadata['medatlas:legend'];
    const field = legend.field || 'zoning';
    tooltip.hidden = false;
    tooltip.style.left = `${e.point.x + 12}px`;
    tooltip.style.top = `${e.point.y + 12}px`;
    tooltip.textContent = `${p.name} (${p.code}) — ${legend.title}: ${p[field] ?? 'n/a'}`;
  });
  map.on('mouseleave', 'communes-fill', () => { tooltip.hidden = true; });

  const panel = document.getElementById('panel');
  map.on('click', 'communes-fill', async (e) => {
    // MapLibre empties e.features once the handler returns: read them before awaiting.
    const p = e.features[0].properties;
    const code = p.code;
    const [c, near] = await Promise.all([
      fetch(`/api/communes/${code}`).then((r) => r.json()),
      fetch(`/api/communes/${code}/nearest-msp?k=3`).then((r) => r.json()),
    ]);
    const sites = (near.sites || []).map((s) => `<li>${s.name} — ${(s.distance_m / 1000).toFixed(1)} km (~${Math.round(s.minutes)} min)</li>`).join('');
    panel.hidden = false;
    panel.innerHTML = `<h3 id="panel-name">${c.name} (${c.code})</h3>
      <div>Population: ${c.population}</div>
      <div>GPs: ${c.gp ? c.gp.gp : 'n/a'}, near retirement: ${c.gp && c.gp.gp_near_retirement != null ? c.gp.gp_near_retirement : 'n/a'}</div>
      <div>GPs per 10,000: ${c.gp_per_10k != null ? c.gp_per_10k.toFixed(1) : 'n/a'} (in 5 years: ${p.gp_per_10k_in_5y ?? 'n/a'})</div>
      <div>APL: ${p.apl ?? 'n/a'}</div>
      <div>Zoning: ${c.zoning || 'n/a'}</div>
      <div>Nearest MSP:<ol>${sites}</ol></div>
      <div><a href="/api/indicators?level=commune&dep=${c.dep}&format=csv">Download the département's communes (CSV)</a></div>`;
  });
})();
