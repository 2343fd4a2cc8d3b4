/**
 * The pure parts of how child processes see mounts: the path rewrite of the fallback
 * (child-paths.ts) and which mounts a mount namespace can show without writing on the host.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ChildPaths } from "../../../runtime/local/child-paths.ts";
import { kernelMounts } from "../../../runtime/local/namespace.ts";

const paths = new ChildPaths([
  { mountPath: "/models", hostPath: "/h/vol/models" },
  { mountPath: "/models/cache", hostPath: "/h/vol/cache" },
  { mountPath: "/app/prompts.yaml", hostPath: "/h/img/app/prompts.yaml" },
]);

test("mount paths at the start of a word are rewritten, in commands, flags and path lists", () => {
  assert.equal(paths.text("echo x > /models/f"), "echo x > /h/vol/models/f");
  assert.equal(paths.text("--local-dir=/models/llama"), "--local-dir=/h/vol/models/llama");
  assert.equal(paths.text("/models"), "/h/vol/models");
  assert.equal(paths.text(`cat '/app/prompts.yaml' "/models/cache/x"`), `cat '/h/img/app/prompts.yaml' "/h/vol/cache/x"`);
  assert.equal(paths.text("/usr/bin:/models/bin"), "/usr/bin:/h/vol/models/bin");
});

test("paths that only look alike are left alone", () => {
  assert.equal(paths.text("/modelsx/f"), "/modelsx/f");
  assert.equal(paths.text("/srv/models/f"), "/srv/models/f");
  assert.equal(paths.text("/app/prompts.yaml.bak"), "/app/prompts.yaml.bak");
  assert.equal(paths.text("https://host/models/x"), "https://host/models/x");
});

test("working directories and environment values inside a mount move to its directory", () => {
  assert.equal(paths.cwd("/models/sub", "/"), "/h/vol/models/sub");
  assert.equal(paths.cwd("sub", "/models"), "/h/vol/models/sub");
  assert.equal(paths.cwd(undefined, "/models"), "/h/vol/models");
  assert.equal(paths.cwd(undefined, "/srv"), undefined);
  assert.deepEqual(paths.env({ HF_HOME: "/models/hf", HOME: "/root" }), { HF_HOME: "/h/vol/models/hf", HOME: "/root" });
});

test("a mount namespace binds mount points it can make in its own root, and skips those that would write on the host", () => {
  const { bound, skipped } = kernelMounts([
    { mountPath: "/gantry-test-missing/models", hostPath: "/h/a" },
    { mountPath: "/tmp", hostPath: "/h/b" },
    { mountPath: "/tmp/gantry-test-missing-dir/x", hostPath: "/h/c" },
    { mountPath: "/", hostPath: "/h/d" },
    { mountPath: "/img", hostPath: "/h/img" },
    { mountPath: "/img/sub/file", hostPath: "/h/file" },
  ], new Set(["/h/img"]));
  assert.deepEqual(bound.map((m) => m.mountPath), ["/tmp", "/img", "/img/sub/file", "/gantry-test-missing/models"]);
  assert.deepEqual(skipped.map((m) => m.mountPath), ["/", "/tmp/gantry-test-missing-dir/x"]);
});
