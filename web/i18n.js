// The language of the pages: French by default, English on request. The language is chosen by
// `?lang=fr|en` in the address (kept there by every page and link), else on a first visit by the
// browser's languages (`navigator.languages`, which Chromium and Firefox fill from the same
// setting as Accept-Language): English when the first one that is French or English is English.
// Every human text comes from one dictionary per language (i18n/fr.js, i18n/en.js); numbers,
// percentages and dates are formatted with Intl for the language.
//
// Templates hold `{name}` placeholders. `t(key, vars)` gives plain text (textContent, titles);
// `h(key, vars)` gives HTML in which every value is escaped and wrapped in <span class="d">: a
// value is data (a name, a number, a code), and the browser test checks that every other text
// of a page comes from the active dictionary. `raw(html)` passes HTML through unwrapped (a
// fragment already built with h()).
import fr from './i18n/fr.js';
import en from './i18n/en.js';

export const DICTIONARIES = { fr, en };
export const LANGS = ['fr', 'en'];

function chooseLang() {
  const asked = new URLSearchParams(location.search).get('lang');
  if (LANGS.includes(asked)) return asked;
  for (const l of navigator.languages || [navigator.language || '']) {
    const base = String(l).slice(0, 2).toLowerCase();
    if (LANGS.includes(base)) return base;
  }
  return 'fr';
}

export const lang = chooseLang();
const dict = DICTIONARIES[lang];
/** BCP 47 locale of the number and date formats. */
export const locale = lang === 'fr' ? 'fr-FR' : 'en-GB';
document.documentElement.lang = lang;

export const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

class Raw { constructor(html) { this.html = html; } toString() { return this.html; } }
/** HTML passed through h() as is. */
export const raw = (html) => new Raw(html);
/** A value as data in HTML: escaped, marked. */
export const d = (v) => (v instanceof Raw ? v.html : `<span class="d">${esc(v)}</span>`);

/** The dictionary's text of `key` (a dotted path), or the key itself, loudly, when missing. */
function lookup(key) {
  let v = dict;
  for (const part of key.split('.')) v = v && typeof v === 'object' ? v[part] : undefined;
  if (typeof v !== 'string') {
    console.error(`i18n: no ${lang} text for ${key}`);
    return key;
  }
  return v;
}

/** Whether the dictionary has a text for `key`. */
export function has(key) {
  let v = dict;
  for (const part of key.split('.')) v = v && typeof v === 'object' ? v[part] : undefined;
  return typeof v === 'string';
}

/** Plain text of `key`, placeholders filled. */
export function t(key, vars = {}) {
  return lookup(key).replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k] instanceof Raw ? vars[k].html.replace(/<[^>]*>/g, '') : vars[k]) : m));
}

/** HTML of `key`: the template's own markup kept, values escaped and marked as data. */
export function h(key, vars = {}) {
  return lookup(key).replace(/\{(\w+)\}/g, (m, k) => (k in vars ? d(vars[k]) : m));
}

/** The list of `key` (an array of texts in the dictionary). */
export function list(key) {
  let v = dict;
  for (const part of key.split('.')) v = v && typeof v === 'object' ? v[part] : undefined;
  return Array.isArray(v) ? v : [];
}

const numberFormats = new Map();
function numberFormat(min, max, style) {
  const k = `${min},${max},${style}`;
  if (!numberFormats.has(k)) numberFormats.set(k, new Intl.NumberFormat(locale, { minimumFractionDigits: min, maximumFractionDigits: max, style }));
  return numberFormats.get(k);
}

/** A number for people (1 234,5 in French, 1,234.5 in English): integers as is, others with at
 * most `digits` decimals; a dash when there is none; -0 is 0; a true minus sign. */
export function num(v, digits = 2) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (Object.is(v, -0)) v = 0;
  return numberFormat(0, Number.isInteger(v) ? 0 : digits, 'decimal').format(v).replace(/^-/, '−');
}

/** A share (0–1) as a percentage: 12,3 % / 12.3%. */
export function pct(share, digits = 1) {
  if (share === null || share === undefined || Number.isNaN(share)) return '—';
  return numberFormat(0, digits, 'percent').format(share);
}

/** A signed change: +12, −3,5, 0. */
export function signed(v, digits = 2) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  const s = num(Math.abs(v), digits);
  if (s === num(0)) return s;
  return `${v > 0 ? '+' : '−'}${s}`;
}

/** A date (today by default) as the language writes it: 2 décembre 2025 / 2 December 2025. */
export function date(when = new Date()) {
  return new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'long', year: 'numeric' }).format(when);
}

/** A server message in the page's language: the messages the viewer shows (reasons of null
 * values, rejected codes, refusals) are matched against `SERVER_MESSAGES` and translated; any
 * other is shown as the server wrote it, marked as data in English. Returns HTML. */
export function serverText(message) {
  const m = String(message ?? '');
  for (const [re, key] of SERVER_MESSAGES) {
    const found = re.exec(m);
    if (found) return h(`server.${key}`, Object.fromEntries(found.slice(1).map((v, i) => [String(i + 1), v])));
  }
  return `<span class="d" lang="en">${esc(m)}</span>`;
}

/** The server's English messages the viewer meets, by pattern (groups fill {1}, {2}...). */
const SERVER_MESSAGES = [
  [/^no population$/, 'no_population'],
  [/^no GP counts in this atlas$/, 'no_gp_counts'],
  [/^near-retirement counts unknown$/, 'near_unknown'],
  [/^no GPs$/, 'no_gps'],
  [/^access not computed$/, 'access_not_computed'],
  [/^no commune of the area has an APL value$/, 'no_apl'],
  [/^no official DREES APL for these communes$/, 'no_official_apl'],
  [/^code not in this atlas's list of areas$/, 'no_name'],
  [/^no commune (\S+) in this atlas$/, 'no_commune'],
  [/^"(.*)" is not an INSEE commune code/, 'not_a_code'],
  [/^no panorama named "(.*)" \(known: (.*)\)$/, 'no_panorama'],
  [/^no commune of the atlas has its town hall in the polygon/, 'polygon_empty'],
  [/^polygon: (.*)$/, 'bad_polygon'],
  [/^(\d+) invalid commune code\(s\): (.*)$/, 'invalid_codes'],
  [/^no commune (?:for|with) (?:the )?code (\S+)/, 'no_commune'],
  [/^say which communes: /, 'panorama_which'],
  [/^the (\d+) communes of the (\d+) EPCI \((.*)\) of the (\d+) communes named on the source's map$/, 'panorama_preset'],
  [/^(\d+) commune\(s\) listed in the address$/, 'panorama_listed'],
  [/^the (\d+) communes of (.*) \((\w+)\)$/, 'panorama_dep'],
];

/** The address of a page of this server in the current language (`?lang=` kept). */
export function withLang(url) {
  const u = new URL(url, location.origin);
  u.searchParams.set('lang', lang);
  return `${u.pathname}${u.search}${u.hash}`;
}

/** Fills the static texts of a page: `data-i18n` (text), `data-i18n-html`, and
 * `data-i18n-{title,aria-label,placeholder}` (attributes). */
export function applyStatic(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-html]')) el.innerHTML = h(el.dataset.i18nHtml);
  for (const attr of ['title', 'aria-label', 'placeholder']) {
    const data = `i18n${attr.replace(/(^|-)(\w)/g, (_, __, c) => c.toUpperCase())}`;
    for (const el of root.querySelectorAll(`[data-i18n-${attr}]`)) el.setAttribute(attr, t(el.dataset[data]));
  }
}

/** The language switch: a link to the same page in the other language. */
export function languageSwitch() {
  const other = lang === 'fr' ? 'en' : 'fr';
  const u = new URL(location.href);
  u.searchParams.set('lang', other);
  const a = document.createElement('a');
  a.id = 'lang-switch';
  a.href = `${u.pathname}${u.search}${u.hash}`;
  a.hreflang = other;
  a.lang = other;
  a.textContent = t('common.other_language');
  a.title = t('common.other_language_title');
  // The address changes as the user works (style, perimeter): follow it at click time.
  a.addEventListener('click', (e) => {
    e.preventDefault();
    const now = new URL(location.href);
    now.searchParams.set('lang', other);
    location.href = `${now.pathname}${now.search}${now.hash}`;
  });
  return a;
}

/** MapLibre's own control texts in the page's language (its `locale` option). */
export const maplibreLocale = dict.maplibre;
