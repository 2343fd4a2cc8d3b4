// The docs page in a real headless Chromium (Debian's `chromium` package, driven by playwright-core):
// Swagger UI renders the endpoint from the generated OpenAPI document, loads nothing from outside
// the server, and "Try it out" with the bearer token calls the endpoint.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { frontDoor, TOKEN } from "./fixtures/harness.ts";
import { listen } from "../../../runtime/web/node.ts";

const CHROMIUM = "/usr/bin/chromium";
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent: install Debian's chromium package (apt-get install -y chromium) to run the browser check`;

test("the docs page renders and can call the endpoint with the token", { skip, timeout: 120_000 }, async () => {
  const { chromium } = await import("playwright-core");
  const { web, backend, mod } = await frontDoor();
  const server = await listen(web, { port: 0 });
  const profile = mkdtempSync(join(tmpdir(), "gantry-chromium-"));
  // playwright takes the fresh profile directory as userDataDir (it adds --user-data-dir itself)
  let context: import("playwright-core").BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"],
    });
    const page = await context.newPage();
    const problems: string[] = [];
    const foreign: string[] = [];
    page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("request", (r) => { if (!r.url().startsWith(server.url) && !r.url().startsWith("data:")) foreign.push(r.url()); });
    page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));

    const response = await page.goto(`${server.url}/EmbeddingService/embed/docs`);
    assert.equal(response?.status(), 200);
    const operation = page.locator("#operations-EmbeddingService-EmbeddingService_embed");
    await operation.waitFor({ timeout: 30_000 });
    assert.equal(await operation.locator(".opblock-summary-path").getAttribute("data-path"), "/EmbeddingService/embed");
    assert.match(await page.locator(".info .title").innerText(), /web-fixture: EmbeddingService\.embed/);

    // Authorize with the bearer token, then Try it out -> Execute
    await page.locator(".auth-wrapper .authorize").click();
    await page.locator(".auth-container input").first().fill(TOKEN);
    await page.locator(".auth-btn-wrapper .authorize").click();
    await page.locator(".auth-btn-wrapper .btn-done").click();
    await operation.locator(".opblock-summary").click();
    // the page enables "Try it out" up front (tryItOutEnabled); click it only if it is not
    const tryOut = operation.locator(".try-out__btn");
    if ((await tryOut.innerText()).trim() === "Try it out") await tryOut.click();
    await operation.locator("textarea.body-param__text").fill('{"texts":["browser","ok"]}');
    await operation.locator(".execute").click();
    const status = operation.locator(".live-responses-table tbody .response-col_status").first();
    await status.waitFor({ timeout: 30_000 });
    assert.equal((await status.innerText()).trim(), "200");
    assert.match(await operation.locator(".live-responses-table tbody .response-col_description pre").first().innerText(), /"normalized": true/);
    assert.equal(backend.spawned.get("EmbeddingService.embed"), 1);

    // the app-wide page lists every docs: true endpoint
    await page.goto(`${server.url}/_gantry/docs`);
    await page.locator("#operations-search-search").waitFor({ timeout: 30_000 });
    assert.equal(await page.locator(".opblock").count(), 2);

    assert.deepEqual(foreign, [], "nothing is loaded from outside the server");
    assert.deepEqual(problems, []);
  } finally {
    await context?.close();
    await server.close({ graceMs: 100 });
    web.close();
    backend.close();
    mod.uiState.server?.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
