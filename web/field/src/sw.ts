/**
 * The field app's service worker: keeps the app shell (page, script, style, manifest,
 * icons) in a cache named by the build's hash, so the app opens with no network after
 * the first visit. Shell files are served from the cache first; every other request
 * (the device routes, /v1/forms) goes to the network untouched — the data lives in
 * IndexedDB, not here.
 */

declare const __SHELL_VERSION__: string;
declare const __SHELL_FILES__: string[];
const sw = self as unknown as ServiceWorkerGlobalScope;
const CACHE = `cairn-field-${__SHELL_VERSION__}`;
const SCOPE = new URL("./", sw.location.href);
const SHELL = __SHELL_FILES__.map((f) => new URL(f, SCOPE).href);

sw.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL.map((u) => new Request(u, { cache: "reload" }))))
      .then(() => sw.skipWaiting()),
  );
});

sw.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith("cairn-field-") && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => sw.clients.claim()),
  );
});

sw.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== SCOPE.origin || !url.pathname.startsWith(SCOPE.pathname.replace(/\/$/, ""))) return;
  const isPage = req.mode === "navigate" || url.pathname === SCOPE.pathname || url.pathname === SCOPE.pathname.replace(/\/$/, "");
  const key = isPage ? SCOPE.href : url.origin + url.pathname;
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const hit = await cache.match(key);
      if (hit) return hit;
      return fetch(req);
    }),
  );
});
