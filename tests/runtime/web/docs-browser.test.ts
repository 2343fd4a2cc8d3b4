// The docs page in a real headless Chromium (Debian's `chromium` package, driven by playwright-core):
// Swagger UI renders the endpoint from the generated OpenAPI document, loads nothing from outside
// the server, and "Try it out" with the bearer token calls the endpoint.
import { test } from "node:test";
import assert from "node:assert/strict";
import { frontDoor, TOKEN } from "./fixtures/harness.ts";
import { listen } from "../../../runtime/web/node.ts";
import { launchChromium, skipWithoutChromium } from "../../helpers/chromium.ts";


test("the docs page renders and can call the endpoint with the token", { skip: skipWithoutChromium, timeout: 120_000 }, async () => {
  const { web, backend, mod } = await frontDoor();
  const server = await listen(web, { port: 0 });
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  try {
    browser = await launchChromium();
    const page = await browser.context.newPage();
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
    await browser?.close();
    await server.close({ graceMs: 100 });
    web.close();
    backend.close();
    mod.uiState.server?.close();
  }
});
