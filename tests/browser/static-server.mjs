// A plain static file server for a folder, answering HTTP Range requests (206 Partial Content,
// one range per request, as object stores and CDNs do), for the static map page's test
// (tests/browser/static.mjs) and for a look at a folder written by `medatlas tiles static`:
//   node tests/browser/static-server.mjs DIR [PORT]
// It knows nothing of medatlas: GET and HEAD of files, `index.html` for a folder, 404 otherwise.
// Python's http.server is no substitute: it ignores Range and sends whole files (200).
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { resolve, extname, join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.pmtiles': 'application/octet-stream',
};

/** The byte range [start, end] (inclusive) a `Range` header asks of a file of `size` bytes;
 * null when it asks for none we serve (no header, another unit, several ranges), 'unsatisfiable'
 * when it is outside the file. */
export function parseRange(header, size) {
  const m = /^bytes=(\d*)-(\d*)$/.exec(String(header || '').trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start;
  let end;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return [start, end];
}

/** Serves `root` on 127.0.0.1:`port` (0: any free port). Resolves to {server, origin, log}: `log`
 * lists every request answered ({method, path, range, status, bytes}). */
export function serveFolder(root, port = 0) {
  const base = resolve(root);
  const log = [];
  const server = createServer((req, res) => {
    const entry = { method: req.method, path: req.url, range: req.headers.range || null, status: 0, bytes: 0 };
    log.push(entry);
    const answer = (status, headers = {}, body = '') => {
      entry.status = status;
      res.writeHead(status, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(405, { Allow: 'GET, HEAD' });
    let path;
    try {
      path = decodeURIComponent(new URL(req.url, 'x:/').pathname);
    } catch (_) {
      return answer(400);
    }
    let file = resolve(join(base, path));
    if (file !== base && !file.startsWith(base + sep)) return answer(404);
    let stat;
    try {
      stat = statSync(file);
      if (stat.isDirectory()) {
        file = join(file, 'index.html');
        stat = statSync(file);
      }
    } catch (_) {
      return answer(404, { 'Content-Type': 'text/plain' }, 'not found\n');
    }
    const headers = { 'Content-Type': TYPES[extname(file)] || 'application/octet-stream', 'Accept-Ranges': 'bytes' };
    const range = parseRange(req.headers.range, stat.size);
    if (range === 'unsatisfiable') return answer(416, { 'Content-Range': `bytes */${stat.size}` });
    const [start, end] = range || [0, stat.size - 1];
    entry.status = range ? 206 : 200;
    entry.bytes = stat.size === 0 ? 0 : end - start + 1;
    if (range) headers['Content-Range'] = `bytes ${start}-${end}/${stat.size}`;
    headers['Content-Length'] = String(entry.bytes);
    res.writeHead(entry.status, headers);
    if (req.method === 'HEAD' || entry.bytes === 0) return res.end();
    createReadStream(file, { start, end }).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok({ server, origin: `http://127.0.0.1:${server.address().port}`, log }));
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] || '').href) {
  const [dir, port] = process.argv.slice(2);
  if (!dir) {
    console.error('usage: node tests/browser/static-server.mjs DIR [PORT]');
    process.exit(2);
  }
  const { origin } = await serveFolder(dir, Number(port || 8000));
  console.error(`serving ${dir} on ${origin}/ (HTTP Range supported); Ctrl-C stops`);
}
