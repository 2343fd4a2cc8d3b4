import { test } from "node:test";
import assert from "node:assert/strict";
import { costPlan } from "../../policy/cost.ts";
import { defaultPrices, withOverrides } from "../../policy/prices.ts";
import { parseUsage } from "../../policy/usage.ts";
import { cls, fn, gpu, resource, spec, at } from "./helpers.ts";

const H = 730;
const near = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 0.006, `${actual} != ${expected}`);
const line = (cost: ReturnType<typeof costPlan>, id: string) => {
  const d = cost.declarations.find((x) => x.declaration === id);
  assert.ok(d, `no cost line for ${id}`);
  return d;
};

test("A10G with maxContainers 5, scale to zero: floor 0, ceiling 5 x g5.xlarge all month", () => {
  const c = costPlan(spec({ classes: [cls("Llama", 10, { gpu: gpu("A10G"), maxContainers: 5 })] }), []);
  const d = line(c, "Llama");
  assert.equal(d.instanceType, "g5.xlarge");
  assert.deepEqual(d.cost, { floor: 0, expected: 0, ceiling: 3671.9 }); // 5 x 1.006 x 730
});

test("H100 with maxContainers 20 and a warm container: floor 1 x p5.4xlarge, ceiling 20", () => {
  const c = costPlan(spec({ classes: [cls("Llama", 10, { gpu: gpu("H100"), maxContainers: 20, minContainers: 1 })] }), []);
  const d = line(c, "Llama");
  assert.equal(d.instanceType, "p5.4xlarge");
  near(d.cost.floor, 6.88 * H); // 5022.40
  near(d.cost.ceiling, 20 * 6.88 * H); // 100448
  assert.equal(d.cost.expected, d.cost.floor, "no usage: expected equals the floor");
});

test("A100 tasks share an 8-GPU p4d: whole instances for floor and ceiling", () => {
  const c = costPlan(spec({ functions: [fn("train", 10, { gpu: gpu("A100-40GB", 2), maxContainers: 5, minContainers: 1 })] }), []);
  const d = line(c, "train");
  assert.equal(d.instanceType, "p4d.24xlarge");
  near(d.cost.floor, 21.957642 * H); // one instance holds the warm container (4 per instance)
  near(d.cost.ceiling, 2 * 21.957642 * H); // ceil(5 / 4) = 2 instances
});

test("expected from busy hours: 6 h/day x 2 containers on g6.xlarge", () => {
  const usage = parseUsage({ declarations: { embed: { busyHoursPerDay: 6, containers: 2 } } });
  const d = line(costPlan(spec({ functions: [fn("embed", 4, { gpu: gpu("L4"), maxContainers: 4 })] }), [], { usage }), "embed");
  near(d.cost.expected, 6 * (H / 24) * 2 * 0.8048); // 182.5 h/month x 2 x $0.8048 = 293.75
  near(d.cost.ceiling, 4 * 0.8048 * H);
});

test("expected from calls x duration, divided by the inputs a container serves at once", () => {
  const usage = parseUsage({ declarations: { Embed: { callsPerMonth: 360000, secondsPerCall: 2 } } });
  const s = spec({ classes: [cls("Embed", 4, { gpu: gpu("T4"), maxContainers: 3 }, { concurrency: { maxInputs: 8, targetInputs: 4 } })] });
  const d = line(costPlan(s, [], { usage }), "Embed");
  near(d.cost.expected, ((360000 * 2) / 3600 / 4) * 0.526); // 50 container-hours x $0.526 = 26.30
});

test("schedules are counted from their cron: a nightly run of 600 s plus the scale-down window", () => {
  const s = spec({
    functions: [fn("nightly", 7, { gpu: gpu("T4"), maxContainers: 1, timeout: 600, scaledownWindow: 60 }, { schedule: { kind: "cron", expression: "0 2 * * *", timezone: "Europe/Paris", source: at(7) } })],
  });
  const d = line(costPlan(s, []), "nightly");
  near(d.cost.expected, (365 / 12) * ((600 + 60) / 3600) * 0.526); // 30.42 runs x 0.1833 h x $0.526 = 2.93
  assert.ok(d.notes.some((n) => n.includes("30.4 scheduled runs/month")), d.notes.join("\n"));
});

test("expected never exceeds the ceiling", () => {
  const usage = parseUsage({ declarations: { hot: { busyHoursPerDay: 24, containers: 50 } } });
  const d = line(costPlan(spec({ functions: [fn("hot", 4, { gpu: gpu("A10G"), maxContainers: 2 })] }), [], { usage }), "hot");
  assert.equal(d.cost.expected, d.cost.ceiling);
});

test("an unbounded pool is priced at gantry's own bound (the provider's maxCapacity), and says so", () => {
  const d = line(costPlan(spec({ functions: [fn("free", 4, { gpu: gpu("A10G") })] }), []), "free");
  near(d.cost.ceiling, 100 * 1.006 * H);
  assert.ok(d.notes.some((n) => n.includes("maxContainers unset, gantry's bound of 100")), d.notes.join("\n"));
});

test("a web server never scales to zero: its floor is one container", () => {
  const s = spec({ functions: [fn("ui", 4, { maxContainers: 2 }, { web: { kind: "server", port: 8000, startupTimeout: 5, public: false, source: at(4) } })] });
  const d = line(costPlan(s, []), "ui");
  near(d.cost.floor, 0.1008 * H); // the default 0.5 vCPU / 1 GiB task on an m7i.large, always on
});

test("fallback lists: the ceiling is priced on the dearest GPU of the list", () => {
  const d = line(costPlan(spec({ functions: [fn("f", 4, { gpu: gpu("A10G", 1, "L40S"), maxContainers: 2 })] }), []), "f");
  assert.equal(d.instanceType, "g5.xlarge");
  near(d.cost.ceiling, 2 * 1.861 * H);
});

test("spot uses the snapshot price, or on-demand x spotFactor", () => {
  const t4 = line(costPlan(spec({ functions: [fn("f", 4, { gpu: gpu("T4"), maxContainers: 1, spot: true })] }), []), "f");
  near(t4.cost.ceiling, 0.2039 * H);
  const a10 = line(costPlan(spec({ functions: [fn("g", 4, { gpu: gpu("A10G"), maxContainers: 1, spot: true })] }), []), "g");
  near(a10.cost.ceiling, 1.006 * 0.4 * H);
});

test("CPU work runs on the CPU group's instance, packed like the provider packs it", () => {
  const d = line(costPlan(spec({ functions: [fn("cpu", 4, { cpu: 2, memory: 4096, maxContainers: 4 })] }), []), "cpu");
  assert.equal(d.instanceType, "m7i.large");
  near(d.cost.ceiling, 4 * 0.1008 * H); // one 2-vCPU task per m7i.large
  const small = line(costPlan(spec({ functions: [fn("small", 4, { maxContainers: 8 })] }), []), "small");
  // 0.5 vCPU / 1 GiB tasks: 4 fit by CPU, but an m7i.large has 3 ENIs, one of them its own: 2 per instance
  near(small.cost.ceiling, 4 * 0.1008 * H);
});

test("fixed costs come from the plan's resources and are labelled approximations", () => {
  const s = spec({ functions: [fn("f", 4, { maxContainers: 1 })], volumes: ["weights"] });
  const c = costPlan(s, [
    resource("aws:ec2/natGateway:NatGateway", "nat", {}),
    resource("aws:lb/loadBalancer:LoadBalancer", "alb", { loadBalancerType: "application" }),
    resource("aws:apigatewayv2/api:Api", "api", {}),
    resource("aws:secretsmanager/secret:Secret", "s", {}),
  ], { usage: parseUsage({ requestsPerMonth: 3_000_000, natGbPerMonth: 100, volumes: { weights: { sizeGb: 200 } } }) });
  const by = Object.fromEntries(c.fixed.map((f) => [f.item, f.monthly]));
  near(by["NAT gateway"], 0.045 * H + 100 * 0.045); // 37.35
  near(by["Application Load Balancer"], (0.0225 + 0.008) * H); // 22.27
  near(by["API Gateway HTTP API"], 3);
  near(by["EFS storage (weights)"], 60);
  near(by["Secrets Manager (1 secret)"], 0.4);
  assert.ok(c.fixed.every((f) => f.note.length > 0));
  const fixed = c.fixed.reduce((a, f) => a + f.monthly, 0);
  near(c.total.floor, fixed + c.declarations.reduce((a, d) => a + d.cost.floor, 0));
});

test("a spec without a plan assumes one NAT gateway and says so", () => {
  const c = costPlan(spec({ functions: [fn("f", 4, { maxContainers: 1 })] }), []);
  assert.equal(c.fixed[0].item, "NAT gateway");
  assert.match(c.fixed[0].note, /assumed/);
});

test("stack price overrides replace single prices and keep the rest", () => {
  const prices = withOverrides(defaultPrices(), { instances: { "g5.xlarge": { onDemand: 0.9 } } });
  const d = line(costPlan(spec({ functions: [fn("f", 4, { gpu: gpu("A10G"), maxContainers: 1 })] }), [], { prices }), "f");
  near(d.cost.ceiling, 0.9 * H);
  assert.match(costPlan(spec({}), [], { prices }).priceSource, /overrides/);
});

test("the same input gives the same numbers (the plan is byte-identical)", () => {
  const s = spec({ classes: [cls("Llama", 10, { gpu: gpu("A10G"), maxContainers: 5 })] });
  assert.equal(JSON.stringify(costPlan(s, [])), JSON.stringify(costPlan(s, [])));
});
