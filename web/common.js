// Helpers shared by the viewer (index.html) and the panorama page: JSON requests that keep the
// server's error message, HTML escaping, number formatting and the legend built from a style's
// `medatlas:legend` metadata. Everything is fetched from this server only.

/** JSON request (GET unless `options` say otherwise); resolves to {ok, status, body}; a network error is thrown. */
export async function request(url, options) {
  const r = await fetch(url, options);
  let body = null;
  try { body = await r.json(); } catch (_) { body = { error: `${r.status} ${r.statusText}` }; }
  return { ok: r.ok, status: r.status, body };
}

export const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

/** A number for people: integers as is, others with at most `digits` decimals. */
export function fmt(v, digits = 2) {
  if (v === null || v === undefined || Number.isNaN(v)) return 'n/a';
  if (Number.isInteger(v)) return v.toLocaleString('en-GB');
  return v.toLocaleString('en-GB', { maximumFractionDigits: digits });
}

/** A label/number row of the panels' tables (`value` is HTML). */
export function tableRow(label, value) {
  return `<tr><td>${label}</td><td class="num">${value}</td></tr>`;
}

/** Legend rows of a style: categories (zoning) or classes with their ranges. */
function legendRows(legend, counts) {
  if (!legend) return '';
  if (legend.categories) {
    return legend.categories.map(([k, c, label]) => {
      const n = counts && counts[k] !== undefined ? ` <b>${counts[k]}</b>` : '';
      return `<div class="row"><span class="swatch" style="background:${c}"></span>${esc(k)} — ${esc(label)}${n}</div>`;
    }).join('');
  }
  if (legend.labels) {
    return legend.colors.map((c, i) => `<div class="row"><span class="swatch" style="background:${c}"></span>${esc(legend.labels[i])}</div>`).join('');
  }
  // Classes as the style's `step` draws them: each from its lower bound up to the next one.
  const b = legend.breaks;
  return legend.colors.slice(0, b.length).map((c, i) => {
    const label = b.length === 1 ? 'all values' : i === 0 ? `< ${fmt(b[1])}` : i === b.length - 1 ? `≥ ${fmt(b[i])}` : `${fmt(b[i])} – < ${fmt(b[i + 1])}`;
    const mark = legend.threshold !== undefined && b[i] === legend.threshold ? ' <b>(threshold)</b>' : '';
    return `<div class="row"><span class="swatch" style="background:${c}"></span>${label}${mark}</div>`;
  }).join('');
}

/** Title, unit, rows, "no data", method of the classes, source and what the GP figures are. */
export function legendHtml(legend, meta, counts, msp) {
  if (!legend) return '';
  const unit = legend.unit ? ` <span class="unit">(${esc(legend.unit)})</span>` : '';
  const note = legend.classes_note ? ` (${esc(legend.classes_note)})` : '';
  const method = legend.breaks_method ? `<div class="source">Classes: ${esc(legend.breaks_method)}${note}</div>` : '';
  const nodata = legend.categories ? '' : '<div class="row"><span class="swatch" style="background:#d9d9d9"></span>no data</div>';
  return `<div><strong>${esc(legend.title)}</strong>${unit}</div>${legendRows(legend, counts)}${nodata}${method}` +
    (msp ? '<div class="row"><span class="swatch msp-swatch"></span>MSP (maison de santé pluriprofessionnelle)</div>' : '') +
    `<div class="source">Source: ${esc(legend.source)}</div>` + gpNotes(meta);
}

/** What the atlas says about its GP figures (`meta.gp_notes`: their source, and whether they
 * are modelled or estimated), one note each; the server owns the wording. */
export function gpNotes(meta) {
  return meta && Array.isArray(meta.gp_notes) ? meta.gp_notes.map((n) => `<div class="note gp-note">${esc(n)}</div>`).join('') : '';
}

/** GPs near retirement for people: a count as is, an estimate (an expected value) to one
 * decimal followed by "estimated", its method in the tooltip. */
export function nearRetirementHtml(value, estimated, method) {
  if (value === null || value === undefined) return 'n/a';
  if (!estimated) return fmt(value);
  return `${fmt(value, 1)} <span class="note estimated" title="${esc(method || 'estimated')}">estimated</span>`;
}


/** A number for French readers (1 234,5): integers as is, others with at most `digits`
 * decimals; "—" when there is none. -0 is written 0. */
export function fmtFr(v, digits = 2) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (Object.is(v, -0)) v = 0;
  // A true minus sign, as French typography (and signedFr) writes it.
  return v.toLocaleString('fr-FR', { maximumFractionDigits: Number.isInteger(v) ? 0 : digits }).replace(/^-/, '−');
}

/** A signed change for French readers: +12, −3,5 (a true minus sign), 0. */
export function signedFr(v, digits = 2) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  const s = fmtFr(Math.abs(v), digits);
  if (s === '0') return '0';
  return `${v > 0 ? '+' : '−'}${s}`;
}
