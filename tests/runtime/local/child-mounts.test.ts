/**
 * Local containers and their child processes see volumes and `addLocalFile/addLocalDir` files at
 * the paths of the image (issue 14, item 7), in both ways the runtime shows them: a mount
 * namespace (Linux with unprivileged user namespaces) and rewritten child-process paths.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fixturePath, startRuntime, type Started } from "../helpers.ts";
import { namespaceSupport } from "../../../runtime/local/namespace.ts";
import { tmpdir } from "node:os";

type Mod = typeof import("../fixtures/child-mounts.ts");
const support = namespaceSupport(join(tmpdir(), "gantry-probe-root"));
const saved = process.env.GANTRY_LOCAL_MOUNTS;
after(() => {
  if (saved === undefined) delete process.env.GANTRY_LOCAL_MOUNTS;
  else process.env.GANTRY_LOCAL_MOUNTS = saved;
});

for (const mode of ["namespace", "rewrite"] as const) {
  describe(`child processes, mounts shown by ${mode}`, { skip: mode === "namespace" && !support.ok ? `no mount namespaces here: ${support.why}` : false }, () => {
    let rt: Started<Mod>;
    const start = async () => {
      process.env.GANTRY_LOCAL_MOUNTS = mode;
      rt ??= await startRuntime<Mod>("child-mounts.ts");
      return rt;
    };
    after(() => rt?.stop());

    test("a subprocess writes into a volume and the function reads it back", async () => {
      const { mod, stateDir } = await start();
      const out = await mod.shellWrite.remote("from-sh");
      assert.deepEqual(out, { fromChild: "from-sh\n", hfToken: "cached\n", promised: "promised\npromised-file\n" });
      const volume = join(stateDir, "volumes", "rt-child-weights");
      assert.equal(readFileSync(join(volume, "out", "child.txt"), "utf8"), "from-sh\n");
      assert.equal(readFileSync(join(volume, "hf", "token"), "utf8"), "cached\n");
      assert.equal(existsSync("/models/out"), false, "nothing was written at the mount path on this machine");
    });

    test("addLocalFile/addLocalDir files are at their image paths, for the function and its subprocesses", async () => {
      const { mod } = await start();
      const out = await mod.imageFiles.remote();
      assert.equal(out.node, "greeting: hello\n");
      assert.equal(out.child, "greeting: hello\nDear {name}\n");
      assert.equal(out.inDir, "Dear {name}\n");
      assert.equal(out.childUid, process.getuid!(), "subprocesses run as this user");
    });

    test("a write to an added file changes the run's copy, not the project's file", async () => {
      const { mod } = await start();
      assert.equal(await mod.overwrite.remote(), "changed\n");
      assert.equal(readFileSync(fixturePath("image-files/prompts.yaml"), "utf8"), "greeting: hello\n");
      assert.equal(existsSync("/app/prompts.yaml"), false);
    });
  });
}
