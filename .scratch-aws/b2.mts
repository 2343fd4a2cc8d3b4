import { build } from "esbuild";
for (const [dir, extra] of [["/tmp/gb-cjs", {}], ["/tmp/gb-esm", { mainFields: ["module", "main"] }], ["/tmp/gb-esm-min", { mainFields: ["module", "main"], minify: true }]] as const) {
  await build({ entryPoints: { app: "/tmp/empty-app.ts", main: "runtime/container/main.ts" }, bundle: true, splitting: true, platform: "node", format: "esm", target: "node20", outdir: dir, outExtension: { ".js": ".mjs" }, chunkNames: "chunks/[name]-[hash]", logLevel: "silent", alias: { gantry: "/work/main/sdk/index.ts" },
    banner: { js: "import { createRequire as __gantryRequire } from 'node:module'; const require = __gantryRequire(import.meta.url);" }, ...extra });
}
