// Helpers shared by the viewer (index.html) and the panorama page: JSON requests that keep the
// server's error message, the legend of a style (one model, drawn as HTML here and on the
// exported image by export.js), and what the atlas says about its GP figures, in the page's
// language (i18n.js). Everything is fetched from this server only.
import { t, h, d, raw, esc, num, pct, has, serverText } from './i18n.js';

export { esc };

/** JSON request (GET unless `options` say otherwise); resolves to {ok, status, body}; a network error is thrown. */
export async function request(url, options) {
  const r = await fetch(url, options);
  let body = null;
  try { body = await r.json(); } catch (_) { body = { error: `${r.status} ${r.statusText}` }; }
  return { ok: r.ok, status: r.status, body };
}

/** A label/number row of the panels' tables (`label` and `value` are HTML). */
export function tableRow(label, value, id) {
  return `<tr${id ? ` id="${id}"` : ''}><td>${label}</td><td class="num">${value}</td></tr>`;
}

/** A style's text in the page's language: `style.{name}.{field}` of the dictionary, with
 * `{year}` (the official APL's vintage) and `{travel}` (the travel-time source) filled in. */
function styleText(name, field, meta, vars = {}) {
  const key = `style.${name}.${field}`;
  if (!has(key)) return null;
  const years = meta && meta.apl_official_years ? meta.apl_official_years : [];
  return h(key, { year: years.length ? String(years[years.length - 1]) : t('legend.not_loaded'), travel: raw(travelText(meta && meta.travel_times ? meta.travel_times.kind : null, meta)), ...vars });
}

/** How the classes were made, from the legend's own figures (the server's sentence is English). */
function classesText(name, legend, meta) {
  if (!legend.classes) return styleText(name, 'breaks_method', meta);
  if (!legend.breaks || !legend.breaks.length) return h('legend.classes_none');
  const n = (legend.counts || []).reduce((a, b) => a + b, 0);
  const min = legend.classes.min_population || 0;
  const method = legend.classes.method === 'jenks' ? t('legend.method_jenks') : t('legend.method_quantiles');
  return h(min ? 'legend.classes_over_min' : 'legend.classes_over', { method, n: num(n), min: num(min) });
}

/** The legend of a style as a model both renderers read: title, unit, rows (colour and label,
 * HTML), notes and source (HTML). `name` is the style's name (its dictionary entry), `counts`
 * per category (panorama), `msp` adds the MSP point. */
export function legendModel(name, legend, meta, { counts, msp } = {}) {
  if (!legend) return null;
  const rows = [];
  if (legend.categories) {
    for (const [k, c] of legend.categories) {
      const n = counts && counts[k] !== undefined ? ` <b>${d(num(counts[k]))}</b>` : '';
      rows.push({ color: c, label: `${d(k)} — ${h(`zoning.${k}`)}${n}`, key: k });
    }
  } else if (legend.labels) {
    const labels = has(`style.${name}.labels.0`) ? legend.labels.map((_, i) => h(`style.${name}.labels.${i}`)) : legend.labels.map((l) => d(l));
    legend.colors.forEach((c, i) => rows.push({ color: c, label: labels[i] }));
  } else {
    // Classes as the style's `step` draws them: each from its lower bound up to the next one.
    const b = legend.breaks || [];
    legend.colors.slice(0, b.length).forEach((c, i) => {
      const label = b.length === 1 ? h('legend.all_values')
        : i === 0 ? h('legend.below', { v: num(b[1]) })
          : i === b.length - 1 ? h('legend.at_least', { v: num(b[i]) })
            : h('legend.range', { a: num(b[i]), b: num(b[i + 1]) });
      const mark = legend.threshold !== undefined && b[i] === legend.threshold ? ` <b>${h('legend.threshold')}</b>` : '';
      rows.push({ color: c, label: label + mark });
    });
  }
  if (!legend.categories) rows.push({ color: '#d9d9d9', label: h('legend.no_data') });
  if (msp) rows.push({ color: '#e6550d', label: h('legend.msp'), point: true });
  const note = styleText(name, 'classes_note', meta);
  const classes = classesText(name, legend, meta);
  return {
    title: styleText(name, 'title', meta) || d(legend.title),
    unit: styleText(name, 'unit', meta),
    rows,
    classes: classes ? h('legend.classes', { text: raw(classes + (note ? ` (${note})` : '')) }) : null,
    source: h('legend.source', { text: raw(styleText(name, 'source', meta) || d(legend.source)) }),
    notes: gpNotesList(meta),
  };
}

/** A legend model as HTML. */
export function legendHtml(model) {
  if (!model) return '';
  const unit = model.unit ? ` <span class="unit">(${model.unit})</span>` : '';
  return `<div class="legend-title"><strong>${model.title}</strong>${unit}</div>` +
    model.rows.map((r) => `<div class="row"><span class="swatch${r.point ? ' msp-swatch' : ''}" style="background:${r.color}${r.outline ? `;border:2px solid ${r.outline}` : ''}${r.circle ? `;border-radius:50%;border-color:${r.stroke}` : ''}"></span><span>${r.label}</span></div>`).join('') +
    (model.classes ? `<div class="source">${model.classes}</div>` : '') +
    `<div class="source">${model.source}</div>` +
    model.notes.map((n) => `<div class="note gp-note">${n}</div>`).join('');
}

/** A source of /api/meta by name in the page's language: the dictionary's name of a source
 * medatlas ships (by its `id`), else the name the server gives (a user's file: its path). */
export function sourceName(source) {
  return source.id && has(`source_name.${source.id}`) ? t(`source_name.${source.id}`) : source.name;
}

/** A source's name without its parenthesised details, for a legend that must stay small (on a
 * phone it already covers half the map). */
const shortName = (source) => sourceName(source).split(' (')[0];

/** What the atlas says about its GP figures (from /api/meta: the sources of the counts, whether
 * they are synthetic, whether near-retirement values are estimated), one note each (HTML). */
export function gpNotesList(meta) {
  if (!meta) return [];
  const notes = [];
  if (meta.synthetic_gp) notes.push(h('legend.gp_synthetic'));
  for (const s of meta.sources || []) {
    if (String(s.provides).startsWith('gp') && !s.synthetic) notes.push(h('legend.gp_source', { name: shortName(s), publisher: s.publisher }));
  }
  if (meta.near_retirement_estimated) {
    const share = (meta.sources || []).find((s) => String(s.provides).startsWith('near-retirement'));
    notes.push(h('legend.near_estimated') + (share ? ` ${h('legend.near_share_source', { name: shortName(share), publisher: share.publisher })}` : ''));
  }
  return notes;
}

/** GPs near retirement for people: a count as is, an estimate (an expected value) to one
 * decimal followed by "estimated", its method in the tooltip. HTML. */
export function nearRetirementHtml(value, estimated, method) {
  if (value === null || value === undefined) return d(num(null));
  if (!estimated) return d(num(value));
  return `${d(num(value, 1))} <span class="note estimated" title="${esc(method || t('common.estimated'))}">${h('common.estimated')}</span>`;
}

/** The travel-time source in words, from the answer's kind and the atlas's method (/api/meta). HTML. */
export function travelText(kind, meta) {
  const method = meta && meta.travel_times ? meta.travel_times.method : null;
  if (kind === 'matrix') return h('travel.matrix');
  if (kind === 'estimated' && method === 'linear') return h('travel.linear');
  if (kind === 'estimated') return h('travel.calibrated');
  return h('travel.other', { kind: kind || '—' });
}

export { num, pct, serverText };
