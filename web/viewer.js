// medatlas viewer (work in progress): one thematic map, legend, tooltip, commune panel.
// Everything comes from this server: tiles, styles, API and MapLibre itself.
(async function () {
  const styleName = new URLSearchParams(location.search).get('style') || 'gp_density';
  const style = await (await fetch(`/styles/${styleName}.json`)).json();
  const meta = await (await fetch('/api/meta')).json();
  const map = new maplibregl.Map({ container: 'map', style, center: [2.9, 45.7], zoom: 6.5, attributionControl: false });
  window.medatlasMap = map;
  map.addControl(new maplibregl.NavigationControl(), 'top-left');

  const legend = style.metadata && style.metadata['medatlas:legend'];
  const el = document.getElementById('legend');
  if (legend) {
    const rows = legend.colors.map((c, i) => {
      const lo = legend.breaks[i], hi = legend.breaks[i + 1];
      const label = hi === undefined ? `≥ ${lo}` : `${lo} – ${hi}`;
      return `<div class="row"><span class="swatch" style="background:${c}"></span>${label}</div>`;
    }).join('');
    el.innerHTML = `<strong>${legend.title}</strong>${rows}<div class="row"><span class="swatch" style="background:#d9d9d9"></span>no data</div>` +
      `<div>${legend.source}</div>` + (meta.synthetic_gp ? '<div class="note">Synthetic GP counts (seeded model), not real data.</div>' : '');
  }

  const tooltip = document.getElementById('tooltip');
  map.on('mousemove', 'communes-fill', (e) => {
    const p = e.features[0].properties;
    tooltip.hidden = false;
    tooltip.style.left = `${e.point.x + 12}px`;
    tooltip.style.top = `${e.point.y + 12}px`;
    tooltip.textContent = `${p.name} (${p.code}) — ${p.gp_per_10k ?? 'n/a'} GPs / 10,000`;
  });
  map.on('mouseleave', 'communes-fill', () => { tooltip.hidden = true; });

  const panel = document.getElementById('panel');
  map.on('click', 'communes-fill', async (e) => {
    const code = e.features[0].properties.code;
    const [c, near] = await Promise.all([
      fetch(`/api/communes/${code}`).then((r) => r.json()),
      fetch(`/api/communes/${code}/nearest-msp?k=3`).then((r) => r.json()),
    ]);
    const sites = (near.sites || []).map((s) => `<li>${s.name} — ${(s.distance_m / 1000).toFixed(1)} km</li>`).join('');
    panel.hidden = false;
    panel.innerHTML = `<h3 id="panel-name">${c.name} (${c.code})</h3>
      <div>Population: ${c.population}</div>
      <div>GPs: ${c.gp ? c.gp.gp : 'n/a'}, near retirement: ${c.gp && c.gp.gp_near_retirement != null ? c.gp.gp_near_retirement : 'n/a'}</div>
      <div>GPs per 10,000: ${c.gp_per_10k != null ? c.gp_per_10k.toFixed(1) : 'n/a'}</div>
      <div>Zoning: ${c.zoning || 'n/a'}</div>
      <div>Nearest MSP:<ol>${sites}</ol></div>`;
  });
})();
