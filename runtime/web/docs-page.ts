/**
 * The docs page: Swagger UI from the `swagger-ui-dist` npm package, served by the front door itself
 * (no CDN: deployments and dev machines may be offline). The page's Content-Security-Policy only
 * allows its own origin, so the UI can fetch the OpenAPI document and call the endpoints
 * ("Try it out", with the token from "Authorize") but load nothing from elsewhere.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { errorResponse } from "./http.ts";

export const ASSETS_PREFIX = "/_gantry/assets/";

const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export function docsPage(title: string, specUrl: string): Response {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${ASSETS_PREFIX}swagger-ui.css">
<link rel="icon" type="image/png" href="${ASSETS_PREFIX}favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-spec-url="${escapeHtml(specUrl)}"></div>
<script src="${ASSETS_PREFIX}swagger-ui-bundle.js"></script>
<script src="${ASSETS_PREFIX}docs-init.js"></script>
</body>
</html>
`;
  return new Response(html, {
    status: 200,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": CSP,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "cache-control": "no-store",
    },
  });
}

// Runs in the browser. validatorUrl: null keeps Swagger UI from calling validator.swagger.io.
const DOCS_INIT = `window.addEventListener("load", function () {
  var el = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: el.getAttribute("data-spec-url"),
    domNode: el,
    validatorUrl: null,
    deepLinking: true,
    persistAuthorization: false,
    tryItOutEnabled: true
  });
});
`;

const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

let assetDir: string | null | undefined;
const assetCache = new Map<string, Uint8Array>();

function swaggerDir(): string | null {
  if (assetDir === undefined) {
    try {
      assetDir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
    } catch {
      assetDir = null;
    }
  }
  return assetDir;
}

/** `/_gantry/assets/<name>`: a fixed list of files, never a path from the request. */
export async function docsAsset(name: string): Promise<Response | null> {
  if (name === "docs-init.js") return assetResponse(new TextEncoder().encode(DOCS_INIT), "text/javascript; charset=utf-8");
  const type = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (!type) return null;
  let bytes = assetCache.get(name);
  if (!bytes) {
    const dir = swaggerDir();
    if (!dir) return errorResponse(503, "DocsUnavailable", "the docs page needs the swagger-ui-dist package next to the runtime (npm install swagger-ui-dist)");
    bytes = new Uint8Array(await readFile(join(dir, name)));
    assetCache.set(name, bytes);
  }
  return assetResponse(bytes, type);
}

function assetResponse(bytes: Uint8Array, type: string): Response {
  return new Response(bytes, {
    status: 200,
    headers: { "content-type": type, "cache-control": "public, max-age=3600", "x-content-type-options": "nosniff" },
  });
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
