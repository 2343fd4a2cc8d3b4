/** Debian's headless Chromium for the browser checks, driven by playwright-core. */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** A test's `skip` option: false where Chromium is installed, else the reason. */
export const skipWithoutChromium: false | string = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is absent: install Debian's chromium package (apt-get install -y chromium) to run the browser check`;

/**
 * Chromium on a fresh profile (playwright adds --user-data-dir itself), with the flags that keep it
 * off the network on a closed machine. `close()` also removes the profile.
 */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const { chromium } = await import("playwright-core");
  const profile = mkdtempSync(join(tmpdir(), "gantry-chromium-"));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"],
    });
    return { context, close: async () => { await context.close(); rmSync(profile, { recursive: true, force: true }); } };
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}
