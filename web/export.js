// Maps that go into a report. `exportMapPng` renders the current map again into an offscreen
// MapLibre map of the wanted pixel size (A4 landscape at 300 dpi by default: 3508 × 2480 px,
// with `preserveDrawingBuffer` so its canvas can be read), then composes it on a canvas with the
// title, the legend (the same model as the page's legend), a scale bar, the sources and data
// vintages and the date; the PNG says its resolution (pHYs). The layout of what was drawn is
// returned with the image, so that a test can check what is where. `printSummary` prints a
// commune's or a perimeter's box on one page with a small map (the print stylesheet in
// viewer.css).
import { t, date } from './i18n.js';
import { sourceName } from './common.js';

const A4_MM = [297, 210];

/** Text of an HTML fragment (the legend model's labels). */
function text(html) {
  const el = document.createElement('div');
  el.innerHTML = html || '';
  return el.textContent.replace(/\s+/g, ' ').trim();
}

/** Draws `s` wrapped to `width` from (x, y) (top); returns the y under it. */
function wrap(ctx, s, x, y, width, lineHeight, layout, kind) {
  const words = s.split(' ');
  let line = '';
  const top = y;
  for (const w of words) {
    const next = line ? `${line} ${w}` : w;
    if (ctx.measureText(next).width > width && line) {
      ctx.fillText(line, x, y);
      y += lineHeight;
      line = w;
    } else {
      line = next;
    }
  }
  if (line) { ctx.fillText(line, x, y); y += lineHeight; }
  if (layout) layout.push({ kind, text: s, x, y: top, w: width, h: y - top });
  return y;
}

/** A length for a scale bar: 1, 2 or 5 × 10^k metres, at most `max`. */
function niceLength(max) {
  const p = 10 ** Math.floor(Math.log10(max));
  return [5, 2, 1].map((m) => m * p).find((v) => v <= max) || p;
}

/** The sources and vintages of the atlas, in words: the official APL's year, the GP counts',
 * the zoning's and the MSP's sources (their names carry their vintage). */
export function vintagesText(meta) {
  const source = (what) => (meta.sources || []).filter((s) => String(s.provides).startsWith(what)).map(sourceName).join(' ; ') || '—';
  const years = (meta.apl_official_years || []).join(', ') || '—';
  return t('export.vintages', { apl: years, gp: source('gp'), zoning: source('zoning'), msp: source('msp') });
}

/** Waits until an offscreen map has drawn everything. */
function idle(m) {
  return new Promise((resolve) => {
    if (m.loaded() && m.areTilesLoaded()) { m.once('render', resolve); m.triggerRepaint(); return; }
    m.once('idle', resolve);
  });
}

/** PNG with a pHYs chunk (pixels per metre) after IHDR, so that it prints at `dpi`. */
async function withResolution(blob, dpi) {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  const ppm = Math.round(dpi / 0.0254);
  const chunk = new Uint8Array(21);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, 9);
  chunk.set([0x70, 0x48, 0x59, 0x73], 4); // pHYs
  view.setUint32(8, ppm);
  view.setUint32(12, ppm);
  chunk[16] = 1; // unit: metre
  view.setUint32(17, crc32(chunk.subarray(4, 17)));
  const at = 8 + 25; // signature + IHDR
  const out = new Uint8Array(bytes.length + chunk.length);
  out.set(bytes.subarray(0, at), 0);
  out.set(chunk, at);
  out.set(bytes.subarray(at), at + chunk.length);
  return new Blob([out], { type: 'image/png' });
}

let crcTable = null;
function crc32(data) {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const b of data) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The map as a PNG ready for a report. `options`: title and subtitle (HTML), legend (a legend
 * model of common.js), meta (/api/meta), dpi (300), paper [mm] (A4 landscape), extra(ctx,
 * offscreenMap, box, layout) to draw over the map (the panorama's labels).
 * Resolves to {blob, width, height, layout}.
 */
export async function exportMapPng(map, { title, subtitle, legend, meta, dpi = 300, paper = A4_MM, extra } = {}) {
  const W = Math.round((paper[0] / 25.4) * dpi);
  const H = Math.round((paper[1] / 25.4) * dpi);
  const pt = dpi / 72; // pixels per typographic point
  const margin = Math.round(10 * pt);
  const column = Math.round(W * 0.27);
  const canvas = document.createElement('canvas');
  canvas.width = W;
  canvas.height = H;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, W, H);
  const layout = [];

  // Title and subtitle first: the map goes under them.
  ctx.fillStyle = '#111111';
  ctx.textBaseline = 'top';
  ctx.font = `600 ${Math.round(18 * pt)}px system-ui, sans-serif`;
  let ty = wrap(ctx, text(title), margin, margin, W - 2 * margin, 22 * pt, layout, 'title');
  if (subtitle) {
    ctx.font = `${Math.round(10 * pt)}px system-ui, sans-serif`;
    ty = wrap(ctx, text(subtitle), margin, ty, W - 2 * margin, 12.5 * pt, layout, 'subtitle');
  }
  const top = Math.round(ty + 6 * pt);
  const bottom = Math.round(34 * pt);
  const box = { x: margin, y: top, w: W - 3 * margin - column, h: H - top - bottom - margin };

  // The offscreen map: the visible extent, at the same CSS size ratio, drawn at the box's pixels.
  const visible = map.getContainer();
  const pr = Math.max(1, box.w / Math.max(visible.clientWidth, 300));
  const holder = document.createElement('div');
  holder.style.cssText = `position:absolute;left:-20000px;top:0;width:${box.w / pr}px;height:${box.h / pr}px;`;
  document.body.append(holder);
  const off = new maplibregl.Map({
    container: holder, style: map.getStyle(), bounds: map.getBounds(), pixelRatio: pr, preserveDrawingBuffer: true,
    interactive: false, fadeDuration: 0, attributionControl: false,
  });
  try {
    await idle(off);
    ctx.drawImage(off.getCanvas(), box.x, box.y, box.w, box.h);
    layout.push({ kind: 'map', x: box.x, y: box.y, w: box.w, h: box.h });
    ctx.strokeStyle = '#333333';
    ctx.lineWidth = Math.max(1, pt * 0.5);
    ctx.strokeRect(box.x, box.y, box.w, box.h);
    if (extra) extra(ctx, off, box, pr, layout);

    ctx.textBaseline = 'top';
    // Scale bar, bottom left of the map, for its centre's latitude.
    const center = off.getCenter();
    const metresPerPx = (40075016.686 * Math.cos((center.lat * Math.PI) / 180)) / (512 * 2 ** off.getZoom()) / pr;
    const metres = niceLength(metresPerPx * box.w * 0.2);
    const barW = metres / metresPerPx;
    const sx = box.x + 8 * pt;
    const sy = box.y + box.h - 12 * pt;
    ctx.fillStyle = 'rgba(255,255,255,0.85)';
    ctx.fillRect(sx - 3 * pt, sy - 14 * pt, barW + 6 * pt, 20 * pt);
    ctx.fillStyle = '#111111';
    ctx.fillRect(sx, sy, barW, 2.5 * pt);
    ctx.fillRect(sx, sy - 4 * pt, 0.8 * pt, 6.5 * pt);
    ctx.fillRect(sx + barW - 0.8 * pt, sy - 4 * pt, 0.8 * pt, 6.5 * pt);
    ctx.font = `${Math.round(9 * pt)}px system-ui, sans-serif`;
    const label = metres >= 1000 ? t('export.km', { n: String(metres / 1000) }) : t('export.m', { n: String(metres) });
    ctx.fillText(label, sx, sy - 13 * pt);
    layout.push({ kind: 'scale', text: label, x: sx, y: sy - 14 * pt, w: barW, h: 20 * pt, metres });

    // The legend column.
    const lx = W - margin - column;
    let y = top;
    ctx.fillStyle = '#111111';
    ctx.font = `600 ${Math.round(11 * pt)}px system-ui, sans-serif`;
    y = wrap(ctx, text(legend.title) + (legend.unit ? ` (${text(legend.unit)})` : ''), lx, y, column, 14 * pt, layout, 'legend-title');
    y += 4 * pt;
    ctx.font = `${Math.round(9.5 * pt)}px system-ui, sans-serif`;
    const sw = 16 * pt;
    for (const r of legend.rows) {
      ctx.fillStyle = r.color;
      if (r.point) {
        ctx.beginPath();
        ctx.arc(lx + sw / 2, y + 5.5 * pt, 4 * pt, 0, 2 * Math.PI);
        ctx.fill();
      } else if (r.circle) {
        ctx.beginPath();
        ctx.arc(lx + sw / 2, y + 5.5 * pt, r.circle * pt, 0, 2 * Math.PI);
        ctx.fill();
        ctx.strokeStyle = r.stroke || '#333333';
        ctx.stroke();
      } else {
        ctx.fillRect(lx, y, sw, 11 * pt);
        ctx.strokeStyle = r.outline || '#999999';
        ctx.lineWidth = r.outline ? pt * 1.2 : pt * 0.4;
        ctx.strokeRect(lx, y, sw, 11 * pt);
      }
      layout.push({ kind: 'swatch', color: r.color, x: lx, y, w: sw, h: 11 * pt, point: Boolean(r.point || r.circle) });
      ctx.fillStyle = '#111111';
      y = Math.max(y + 13 * pt, wrap(ctx, text(r.label), lx + sw + 5 * pt, y, column - sw - 5 * pt, 12 * pt, layout, 'legend-row'));
    }
    ctx.fillStyle = '#444444';
    ctx.font = `${Math.round(8 * pt)}px system-ui, sans-serif`;
    y += 4 * pt;
    for (const s of [legend.classes, legend.source, ...(legend.notes || [])].filter(Boolean)) {
      y = wrap(ctx, text(s), lx, y, column, 10 * pt, layout, 'legend-source') + 3 * pt;
    }

    // Footer: sources and vintages, the date, the tool.
    ctx.fillStyle = '#333333';
    ctx.font = `${Math.round(8 * pt)}px system-ui, sans-serif`;
    let fy = box.y + box.h + 5 * pt;
    fy = wrap(ctx, vintagesText(meta), margin, fy, W - 2 * margin, 10 * pt, layout, 'sources');
    wrap(ctx, t('export.footer', { date: date() }), margin, fy, W - 2 * margin, 10 * pt, layout, 'date');

    const blob = await withResolution(await new Promise((resolve) => canvas.toBlob(resolve, 'image/png')), dpi);
    return { blob, width: W, height: H, layout };
  } finally {
    off.remove();
    holder.remove();
  }
}

/** Saves a blob as a file. */
export function downloadBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** The map as it is drawn now, as a data URL (read while the drawing buffer is valid). */
function snapshot(map) {
  return new Promise((resolve) => {
    map.once('render', () => resolve(map.getCanvas().toDataURL('image/png')));
    map.triggerRepaint();
  });
}

/** Lays a box (the commune panel, the perimeter) out for printing on one page, with a small map
 * and the sources; returns a function that puts the page back. */
export async function preparePrint(box, map) {
  const img = document.createElement('img');
  img.className = 'print-map';
  img.alt = t('print.map_alt');
  img.src = await snapshot(map);
  const foot = document.createElement('div');
  foot.className = 'print-only source print-sources';
  foot.textContent = `${window.medatlasMeta ? vintagesText(window.medatlasMeta) : ''} ${t('export.footer', { date: date() })}`;
  box.prepend(img);
  box.append(foot);
  box.classList.add('print-target');
  document.body.classList.add('printing');
  return () => {
    img.remove();
    foot.remove();
    box.classList.remove('print-target');
    document.body.classList.remove('printing');
  };
}

/** Prints a box on one page (the browser's print dialog: to paper or PDF). */
export async function printSummary(box, map) {
  const restore = await preparePrint(box, map);
  window.addEventListener('afterprint', restore, { once: true });
  window.print();
}

