// Media types by file extension, for the files a website usually holds. Text types say UTF-8.

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  htm: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  json: 'application/json',
  map: 'application/json',
  txt: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  xml: 'application/xml',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  ico: 'image/vnd.microsoft.icon',
  wasm: 'application/wasm',
  pdf: 'application/pdf',
  woff: 'font/woff',
  woff2: 'font/woff2',
  gz: 'application/gzip',
  zip: 'application/zip',
};

export function contentTypeOf(key: string): string {
  const dot = key.lastIndexOf('.');
  const extension = dot < 0 || dot < key.lastIndexOf('/') ? '' : key.slice(dot + 1).toLowerCase();
  return TYPES[extension] ?? 'application/octet-stream';
}
