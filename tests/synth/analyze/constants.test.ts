/** Constants across imports: re-exports, `export *`, namespaces, enums, arithmetic and templates. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fn, specOf } from "../helpers.ts";

const spec = specOf("consts");

test("spreads of a const object imported through `export *` and a renamed re-export", () => {
  const small = fn(spec, "small").options;
  assert.equal(small.timeout, 300, "BASE_TIMEOUT = 5 * MINUTE in settings/limits.ts");
  assert.equal(small.maxContainers, 3, "DEFAULTS.maxContainers");
  assert.deepEqual(small.gpu, { type: "L4", count: 2, memoryGb: 24, fallbacks: [] }, "`${PREFERRED_GPU}:${Size.Medium}`");
});

test("arithmetic, enum members defined from other members, computed keys, aliased imports", () => {
  const large = fn(spec, "large").options;
  assert.equal(large.timeout, 630, "BASE_TIMEOUT * 2 + 30");
  assert.equal(large.maxContainers, 8, "Size.Large = Medium * 4");
  assert.deepEqual(large.volumes, [{ mountPath: "/data", volume: "data-22" }]);
});

test("an image and a volume built in another file", () => {
  const image = spec.images.find((i) => i.id === fn(spec, "small").options.image)!;
  assert.deepEqual(image.base, { kind: "debianSlim", node: "22", python: null });
  assert.deepEqual(image.layers.map((l) => l.kind), ["env", "workdir"]);
  assert.equal(image.source?.file, "resources.ts");
  assert.deepEqual(spec.volumes.map((v) => [v.name, v.source.file]), [["data-22", "resources.ts"]]);
});

test("a function declared in another module and re-exported by the app file", () => {
  const report = fn(spec, "report");
  assert.deepEqual(report.source, { file: "jobs.ts", line: 6, column: 14 });
  assert.equal(report.options.timeout, 120, "settings.MINUTE * 2 through a namespace import");
  assert.ok(report.schedule?.kind === "cron");
  assert.equal(report.schedule.expression, "0 0 * * *", "@daily");
  assert.equal(report.schedule.timezone, "Europe/Berlin", "a default export re-exported as ZONE");
});
