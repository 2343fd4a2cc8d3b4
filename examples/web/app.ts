// Web: a typed embedding endpoint (zod body, OpenAPI docs), a health check, and a Hono app behind
// bearer auth, and a plain node:http server proxied by webServer.
// `gantry serve examples/web/app.ts` serves them on localhost.
import { createServer } from "node:http";
import { z } from "zod";
import { Hono } from "hono";
import { App, Secret, concurrent, webApp, webEndpoint, webServer } from "gantry";

export const app = new App("web-example");

const EmbedRequest = z.object({
  texts: z.array(z.string()).min(1).max(64),
  normalize: z.boolean().default(true),
});

@app.cls({ gpu: "T4", scaledownWindow: 180, maxContainers: 3 })
@concurrent({ maxInputs: 16 })
export class EmbeddingService {
  @webEndpoint({ method: "POST", body: EmbedRequest, docs: true })
  async embed(req: z.infer<typeof EmbedRequest>) {
    const embeddings = req.texts.map((t) => {
      const v = [t.length, [...t].filter((c) => "aeiou".includes(c)).length, t.split(" ").length];
      const norm = req.normalize ? Math.hypot(...v) || 1 : 1;
      return v.map((x) => x / norm);
    });
    return { embeddings };
  }
}

export const health = app.function({ maxContainers: 1 }, webEndpoint({ method: "GET", public: true }, async () => ({ status: "ok" })));

function createHonoApp() {
  const hono = new Hono();
  hono.get("/", (c) => c.json({ service: "web-example", routes: ["/", "/greet/:name"] }));
  hono.get("/greet/:name", (c) => c.json({ greeting: `hello, ${c.req.param("name")}` }));
  return hono;
}

export const api = app.function(
  { secrets: [Secret.fromDict({ GREETING_STYLE: "plain" })], maxContainers: 2 },
  webApp(() => createHonoApp()),
);

/** Any server the code starts itself: gantry waits for the port, then proxies to it. */
function startStatusPage() {
  createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><title>status</title><h1>web-example is up</h1><p>you asked for ${req.url}</p>`);
  }).listen(8080, "127.0.0.1");
}

export const status = app.function({ maxContainers: 1 }, webServer({ port: 8080, startupTimeout: 5 }, startStatusPage));
