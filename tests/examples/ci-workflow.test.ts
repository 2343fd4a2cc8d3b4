/**
 * examples/ci: the two GitHub Actions workflows, validated against the published workflow schema
 * (SchemaStore's github-workflow.json, with ajv) and parsed by GitHub's own workflow parser
 * (@actions/workflow-parser), then held to issue 12's points: one deploy per
 * stack (concurrency), a fork-safe comment path, promotion checked against the target's record
 * (no git push), a real `pulumi preview --json --policy-pack` fed to `gantry diff`. The comment
 * scripts run here against a recording GitHub client, and every `run:` block passes `bash -n`.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { findWorkflowSchema, SCHEMA_PLACES } from "../helpers/workflow-schema.ts";
import { loadWorkflowParser, workflowErrors } from "../helpers/workflow-parser.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const read = (name: string) => parse(readFileSync(join(root, "examples/ci", name), "utf8"));
const gantry = read("gantry.yml");
const comment = read("gantry-comment.yml");

interface Step { name?: string; uses?: string; run?: string; if?: string; with?: Record<string, unknown>; env?: Record<string, string> }
interface Job { if?: string; needs?: string | string[]; environment?: string; concurrency?: { group: string; "cancel-in-progress"?: boolean }; permissions?: Record<string, string>; steps: Step[] }
const jobs = gantry.jobs as Record<string, Job>;
const runs = (job: Job) => job.steps.map((s) => s.run ?? "").join("\n");
const step = (job: Job, name: RegExp) => {
  const found = job.steps.find((s) => s.name !== undefined && name.test(s.name));
  assert.ok(found, `no step named ${name}`);
  return found;
};

describe("the published GitHub Actions workflow schema", () => {
  const schema = findWorkflowSchema(root);
  const skip = schema ? false : `SchemaStore's github-workflow.json is not here (looked in ${SCHEMA_PLACES.join(", ")}; see tests/fixtures/github-actions/README.md)`;
  const validate = () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    return ajv.compile(JSON.parse(readFileSync(schema!, "utf8")));
  };
  const problems = (v: ReturnType<typeof validate>) => (v.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join("\n");

  it("gantry.yml and gantry-comment.yml are valid workflows", { skip }, () => {
    const v = validate();
    assert.ok(v(gantry), `gantry.yml:\n${problems(v)}`);
    assert.ok(v(comment), `gantry-comment.yml:\n${problems(v)}`);
  });

  it("and the validator refuses what GitHub refuses (a concurrency without a group, an unknown job key)", { skip }, () => {
    const v = validate();
    const broken = structuredClone(gantry);
    broken.jobs["deploy-staging"].concurrency = { "cancel-in-progress": false };
    assert.equal(v(broken), false);
    const typo = structuredClone(gantry);
    typo.jobs.plan["run-on"] = "ubuntu-latest";
    assert.equal(v(typo), false);
  });
});

describe("GitHub's own workflow parser (@actions/workflow-parser)", () => {
  const source = (name: string) => readFileSync(join(root, "examples/ci", name), "utf8");

  it("parses gantry.yml and gantry-comment.yml with no errors, expressions and reusable parts included", async () => {
    const parser = await loadWorkflowParser(root);
    for (const name of ["gantry.yml", "gantry-comment.yml"]) {
      assert.deepEqual(await workflowErrors(parser, name, source(name)), [], name);
    }
  });

  it("and refuses what GitHub refuses: a misspelt job key, a concurrency without a group, a job that needs an unknown job", async () => {
    const parser = await loadWorkflowParser(root);
    const original = source("gantry.yml");
    const edits: Array<[string, RegExp]> = [
      [original.replace("runs-on:", "run-on:"), /Unexpected value 'run-on'/],
      [original.replace(/group: gantry-stack-staging[^\n]*\n\s*/, ""), /group/i],
      [original.replace("needs: deploy-staging", "needs: deploy-stagin"), /unknown job 'deploy-stagin'/],
    ];
    for (const [content, expected] of edits) {
      assert.ok(content !== original, `the edit for ${expected} changed nothing`);
      const errors = await workflowErrors(parser, "gantry.yml", content);
      assert.ok(errors.some((e) => expected.test(e)), `expected ${expected} in:\n${errors.join("\n")}`);
    }
  });
});

describe("gantry.yml", () => {
  it("one deploy per stack at a time: a concurrency group per stack, never cancelling a running deploy", () => {
    assert.deepEqual(jobs["deploy-staging"].concurrency, { group: "gantry-stack-staging", "cancel-in-progress": false });
    assert.deepEqual(jobs["promote-prod"].concurrency, { group: "gantry-stack-prod", "cancel-in-progress": false });
    for (const [name, job] of Object.entries(jobs)) {
      const deploys = [...runs(job).matchAll(/gantry deploy "\$APP" --stack (\S+)/g)].map((m) => m[1]);
      for (const stack of deploys) assert.equal(job.concurrency?.group, `gantry-stack-${stack}`, `${name} deploys ${stack}`);
    }
    assert.match(jobs.plan.concurrency!.group, /pull_request\.number/);
  });

  it("promotion is checked against what prod runs, and nothing is pushed to the repository", () => {
    const job = jobs["promote-prod"];
    assert.equal(job.environment, "production");
    assert.match(step(job, /What prod runs/).run!, /pulumi stack select --create prod\npulumi stack output --json --stack prod > prod-outputs\.json/);
    assert.match(step(job, /^Promote/).run!, /gantry promote --from staging --to prod --app "\$APP" --target-outputs prod-outputs\.json/);
    assert.doesNotMatch(step(job, /^Promote/).run!, /--allow-older/, "a rollback is a deliberate edit, not the default");
    assert.doesNotMatch(step(job, /^Promote/).run!, /--no-copy-images/, "prod runs its own copies of the images");
    const all = Object.values(jobs).map(runs).join("\n");
    assert.doesNotMatch(all, /git (push|commit)/);
    assert.equal(job.permissions?.contents, "read");
    const order = job.steps.map((s) => s.name ?? s.uses);
    assert.ok(order.indexOf("What prod runs now (its artifact output; {} for a new stack)") < order.findIndex((n) => /^Promote/.test(n ?? "")));
  });

  it("pull requests: the comment is posted only with a writable token; a fork gets a notice and the artifact", () => {
    const post = step(jobs.plan, /Post or update/);
    assert.equal(post.if, "github.event.pull_request.head.repo.full_name == github.repository");
    const fork = step(jobs.plan, /fork/);
    assert.equal(fork.if, "github.event.pull_request.head.repo.full_name != github.repository");
    assert.match(fork.run!, /^echo "::notice /);
    const upload = jobs.plan.steps.find((s) => s.uses?.startsWith("actions/upload-artifact") && s.with?.name === "gantry-comment");
    assert.ok(upload, "the comment is uploaded for gantry-comment.yml");
    assert.ok(jobs.plan.steps.indexOf(upload) < jobs.plan.steps.indexOf(post));
    assert.doesNotMatch(runs(jobs.plan), /\$\{\{ github\.event\.pull_request\.(head|title|body)/, "no pull request text spliced into a script");
  });

  it("a job runs a real pulumi preview --json with gantry's policy pack and feeds it to gantry diff", () => {
    const job = jobs.preview;
    assert.equal(job.if, "github.event_name == 'pull_request' && github.event.pull_request.head.repo.full_name == github.repository");
    const script = step(job, /pulumi preview/).run!;
    const preview = /pulumi preview --stack (\S+) --json --policy-pack node_modules\/gantry\/policy > (\S+)/.exec(script);
    assert.ok(preview, script);
    const [, stack, file] = preview;
    assert.match(script, new RegExp(`gantry synth "\\$APP" --target aws --stack ${stack} --json --out head-plan\\.json`));
    assert.match(script, new RegExp(`gantry diff ${file.replace(".", "\\.")} --head-plan head-plan\\.json --format markdown --out preview\\.md`));
    assert.ok(job.steps.some((s) => s.uses?.startsWith("pulumi/actions")), "the Pulumi CLI is installed");
    assert.match(step(job, /Fail on a failed preview/).if!, /steps\.preview\.outputs\.pulumi != '0' \|\| steps\.preview\.outputs\.diff != '0'/);
    // gantry's pack is where the installed package puts it
    assert.ok(existsSync(join(root, "policy/PulumiPolicy.yaml")) && JSON.parse(readFileSync(join(root, "package.json"), "utf8")).files.includes("policy/PulumiPolicy.yaml"));
  });

  it("every run: block is valid bash", () => {
    const dir = mkdtempSync(join(tmpdir(), "gantry-ci-bash-"));
    for (const [file, wf] of [["gantry.yml", gantry], ["gantry-comment.yml", comment]] as const) {
      for (const [name, job] of Object.entries(wf.jobs as Record<string, Job>)) {
        job.steps.forEach((s, i) => {
          if (!s.run) return;
          const script = join(dir, `${name}-${i}.sh`);
          writeFileSync(script, s.run.replace(/\$\{\{[^}]*\}\}/g, "X"));
          const r = spawnSync("bash", ["-n", script], { encoding: "utf8" });
          assert.equal(r.status, 0, `${file} ${name} step ${i}: ${r.stderr}`);
        });
      }
    }
  });
});

// --- the comment scripts, run as actions/github-script runs them, against a recording client

interface Comment { id: number; body: string; user: { type: string } }
function fakeGithub(opts: { comments?: Comment[]; headSha?: string } = {}) {
  const calls: Array<[string, Record<string, unknown>]> = [];
  const listComments = async (args: Record<string, unknown>) => { calls.push(["listComments", args]); return { data: opts.comments ?? [] }; };
  return {
    calls,
    github: {
      paginate: async (fn: typeof listComments, args: Record<string, unknown>) => (await fn(args)).data,
      rest: {
        issues: {
          listComments,
          createComment: async (args: Record<string, unknown>) => { calls.push(["createComment", args]); },
          updateComment: async (args: Record<string, unknown>) => { calls.push(["updateComment", args]); },
        },
        pulls: { get: async (args: Record<string, unknown>) => { calls.push(["pulls.get", args]); return { data: { head: { sha: opts.headSha } } }; } },
      },
    },
  };
}

async function runScript(script: string, cwd: string, env: Record<string, string>, github: unknown, context: unknown) {
  const notices: string[] = [];
  const saved = { ...process.env };
  const wd = process.cwd();
  Object.assign(process.env, env);
  process.chdir(cwd);
  try {
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
    await new AsyncFunction("require", "github", "context", "core", script)(createRequire(resolve(cwd, "x.js")), github, context, { notice: (m: string) => notices.push(m) });
  } finally {
    process.chdir(wd);
    for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
  }
  return notices;
}

const SHA = "a".repeat(40);
const body = "<!-- gantry-diff -->\n### gantry diff\n\nNo changes.\n";

describe("the comment scripts", () => {
  it("a same-repository pull request: creates the comment, then updates the bot's own one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gantry-ci-comment-"));
    mkdirSync(join(dir, "gantry-comment"));
    writeFileSync(join(dir, "gantry-comment/comment.md"), body);
    const post = step(jobs.plan, /Post or update/);
    const context = { repo: { owner: "acme", repo: "models" }, issue: { number: 7 } };
    const first = fakeGithub();
    await runScript(post.with!.script as string, dir, post.env!, first.github, context);
    assert.deepEqual(first.calls.at(-1), ["createComment", { owner: "acme", repo: "models", issue_number: 7, body }]);
    const again = fakeGithub({ comments: [{ id: 1, body: "<!-- gantry-diff -->old", user: { type: "User" } }, { id: 2, body: "<!-- gantry-diff -->old", user: { type: "Bot" } }] });
    await runScript(post.with!.script as string, dir, post.env!, again.github, context);
    assert.deepEqual(again.calls.at(-1), ["updateComment", { owner: "acme", repo: "models", comment_id: 2, body }]);
  });

  const forkScript = (comment.jobs.comment as Job).steps.find((s) => s.uses?.startsWith("actions/github-script"))!;
  function forkRun(pr: unknown) {
    const dir = mkdtempSync(join(tmpdir(), "gantry-ci-fork-"));
    mkdirSync(join(dir, "gantry-comment"));
    writeFileSync(join(dir, "gantry-comment/comment.md"), body);
    writeFileSync(join(dir, "gantry-comment/pr.json"), JSON.stringify(pr));
    const context = { repo: { owner: "acme", repo: "models" }, payload: { workflow_run: { head_sha: SHA } } };
    return (github: unknown) => runScript(forkScript.with!.script as string, dir, forkScript.env!, github, context);
  }

  it("a fork: posts for the pull request whose head is the reviewed commit", async () => {
    const fake = fakeGithub({ headSha: SHA });
    await forkRun({ number: 12, headSha: SHA })(fake.github);
    assert.deepEqual(fake.calls, [
      ["pulls.get", { owner: "acme", repo: "models", pull_number: 12 }],
      ["listComments", { owner: "acme", repo: "models", issue_number: 12, per_page: 100 }],
      ["createComment", { owner: "acme", repo: "models", issue_number: 12, body }],
    ]);
  });

  it("a fork: posts nothing when the number points at another head, and refuses a number that is not one", async () => {
    const moved = fakeGithub({ headSha: "b".repeat(40) });
    const notices = await forkRun({ number: 12, headSha: SHA })(moved.github);
    assert.deepEqual(moved.calls.map((c) => c[0]), ["pulls.get"]);
    assert.match(notices[0], /is at b{40}, the review is of a{40}: not posted/);
    await assert.rejects(forkRun({ number: "12; rm -rf /" })(fakeGithub({ headSha: SHA }).github), /not a pull request number/);
  });

  it("gantry-comment.yml: started by gantry's completion, for fork pull requests only, never checking out code", () => {
    assert.deepEqual(comment.on, { workflow_run: { workflows: [gantry.name], types: ["completed"] } });
    assert.deepEqual(comment.permissions, {});
    const job = comment.jobs.comment as Job;
    assert.match(job.if!, /workflow_run\.event == 'pull_request' &&\s*github\.event\.workflow_run\.head_repository\.full_name != github\.repository/);
    assert.deepEqual(job.permissions, { actions: "read", "pull-requests": "write" });
    assert.ok(!job.steps.some((s) => s.uses?.startsWith("actions/checkout") || s.run), "no code of the pull request runs here");
    const download = job.steps.find((s) => s.uses?.startsWith("actions/download-artifact"))!;
    assert.equal(download.with!.name, "gantry-comment");
    assert.equal(download.with!["run-id"], "${{ github.event.workflow_run.id }}");
  });
});
