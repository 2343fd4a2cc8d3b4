/**
 * `npm run bench [-- name...]`: runs the benchmarks and prints ratios against baselines measured in
 * the same run (absolute times on a shared 2-core machine mean little; ratios travel better).
 */
const suites: Record<string, () => Promise<{ run: () => Promise<void> }>> = {
  analysis: () => import("./analysis.ts"),
  "runtime-local": () => import("./runtime-local.ts"),
  "synth-aws": () => import("./synth-aws.ts"),
  "batch-release": () => import("./batch-release.ts"),
  "runtime-aws": () => import("./runtime-aws.ts"),
  "runtime-redis": () => import("./runtime-redis.ts"),
  "wake-path": () => import("./wake-path.ts"),
};

const wanted = process.argv.slice(2);
for (const name of wanted.length ? wanted : Object.keys(suites)) {
  const load = suites[name];
  if (!load) {
    console.error(`unknown benchmark "${name}" (have: ${Object.keys(suites).join(", ")})`);
    process.exit(2);
  }
  console.log(`\n== ${name}`);
  await (await load()).run();
}
