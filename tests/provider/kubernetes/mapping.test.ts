/**
 * The Kubernetes mapping, one fact a test, on the plan of the fixture app that uses every bullet
 * (tests/provider/fixtures/specs.ts), the program run under Pulumi's mocks (provider/plan/build.ts).
 * Inputs are the manifests the cluster would receive; every one of them also passes the schemas
 * and the strict pass (manifests.ts).
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { unitAclRules } from "../../../runtime/redis/acl.ts";
import { ENQUEUE_ONCE } from "../../../runtime/redis/scripts.ts";
import { llmApp } from "../fixtures/specs.ts";
import { planOf, type PlanView } from "../plan-view.ts";
import { manifestProblems } from "./manifests.ts";

const DEP = "kubernetes:apps/v1:Deployment";
const SO = "kubernetes:keda.sh/v1alpha1:ScaledObject";
const NS = "gantry-llm-demo-dev";
let view: PlanView;

before(async () => {
  view = await planOf(llmApp(), {
    config: {
      "gantry:target": "kubernetes",
      "gantry:redisSecret": "seed",
      "gantry:webToken": "token",
      "gantry:kubernetes": { nodePools: "karpenter", storageClass: "efs-sc", registry: "ghcr.io/acme", imagePullSecrets: ["regcred"] },
    },
    secretKeys: ["gantry:redisSecret", "gantry:webToken"],
    secretValues: { "dict-1a2b3c": { OPENAI_KEY: "sk-live-123" } },
  });
});

const pod = (declaration: string) => view.inputs(DEP, { declaration }).spec.template.spec;
const container = (declaration: string) => pod(declaration).containers[0];
const env = (declaration: string) => Object.fromEntries(container(declaration).env.filter((e: any) => "value" in e).map((e: any) => [e.name, e.value]));
const envRef = (declaration: string, name: string) => container(declaration).env.find((e: any) => e.name === name)?.valueFrom;

describe("every manifest", () => {
  it("validates against the Kubernetes, KEDA, Karpenter and Gateway API schemas and the strict pass", () => {
    assert.deepEqual(manifestProblems(view.plan), []);
  });
  it("carries the app and stack labels and its source location", () => {
    const so = view.inputs(SO, { declaration: "LlamaInference" });
    assert.deepEqual(so.metadata.labels, {
      "app.kubernetes.io/managed-by": "gantry", "app.kubernetes.io/name": "llama-inference", "app.kubernetes.io/part-of": "llm-demo",
      "gantry.dev/stack": "dev", "gantry.dev/unit": "llama-inference",
    });
    assert.deepEqual(so.metadata.annotations, { "gantry.dev/declaration": "LlamaInference", "gantry.dev/source": "tests/provider/fixtures/apps/llm/app.ts:20:1" });
    assert.equal(so.metadata.namespace, NS);
    for (const r of view.plan.resources) assert.ok(r.source, `${r.name} has a source`);
  });
});

describe("unit -> Deployment", () => {
  it("starts at zero replicas (KEDA owns the count) and never surges a GPU worker", () => {
    const d = view.inputs(DEP, { declaration: "LlamaInference" });
    assert.equal(d.spec.replicas, 0);
    assert.deepEqual(d.spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } });
  });
  it("GPU limits, cpu/memory requests = limits", () => {
    const q = { cpu: "3", memory: "12288Mi", "nvidia.com/gpu": "1" };
    assert.deepEqual(container("LlamaInference").resources, { requests: q, limits: q });
    assert.deepEqual(container("square").resources, { requests: { cpu: "500m", memory: "1024Mi" }, limits: { cpu: "500m", memory: "1024Mi" } });
    assert.equal(container("batchTrain").resources.limits["nvidia.com/gpu"], "8");
  });
  it("the nvidia.com/gpu toleration on GPU pods only", () => {
    assert.deepEqual(pod("LlamaInference").tolerations, [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
    assert.equal(pod("square").tolerations, undefined);
  });
  it("node affinity from the karpenter label profile: one required term per GPU type (ORed), preferred in order", () => {
    assert.deepEqual(pod("batchTrain").affinity.nodeAffinity, {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: "karpenter.k8s.aws/instance-gpu-name", operator: "In", values: ["h100"] }, { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] }] },
          { matchExpressions: [
            { key: "karpenter.k8s.aws/instance-gpu-name", operator: "In", values: ["a100"] },
            { key: "karpenter.k8s.aws/instance-gpu-memory", operator: "In", values: ["81920"] },
            { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] },
          ] },
        ],
      },
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 100, preference: { matchExpressions: [{ key: "karpenter.k8s.aws/instance-gpu-name", operator: "In", values: ["h100"] }, { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] }] } },
        { weight: 1, preference: { matchExpressions: [
          { key: "karpenter.k8s.aws/instance-gpu-name", operator: "In", values: ["a100"] },
          { key: "karpenter.k8s.aws/instance-gpu-memory", operator: "In", values: ["81920"] },
          { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] },
        ] } },
      ],
    });
    assert.equal(pod("square").affinity, undefined, "a CPU on-demand unit asks for no node type");
  });
  it("probes: startup on /livez, readiness /readyz, liveness /livez tolerating the setup budget", () => {
    const c = container("LlamaInference");
    assert.deepEqual(c.startupProbe, { httpGet: { path: "/livez", port: 8081 }, periodSeconds: 5, failureThreshold: 12, timeoutSeconds: 5 });
    assert.deepEqual(c.readinessProbe, { httpGet: { path: "/readyz", port: 8081 }, periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 5 });
    // setup timeout 600 s: 11 checks a minute apart
    assert.deepEqual(c.livenessProbe, { httpGet: { path: "/livez", port: 8081 }, periodSeconds: 60, failureThreshold: 11, timeoutSeconds: 10 });
    assert.equal(container("api").readinessProbe.httpGet.port, 8000, "a web unit answers on its web port");
  });
  it("terminationGracePeriodSeconds = the drain (timeout up to 15 min) + 30 s for hand-back and @exit", () => {
    assert.equal(pod("LlamaInference").terminationGracePeriodSeconds, 630);
    assert.equal(env("LlamaInference").GANTRY_DRAIN_SECONDS, "600");
    assert.equal(env("LlamaInference").GANTRY_STOP_TIMEOUT, "630");
    assert.equal(pod("batchTrain").terminationGracePeriodSeconds, 930, "7200 s inputs drain 900 s, the rest is handed back");
  });
  it("one ServiceAccount per unit, no automounted token; the token is an explicit projected volume", () => {
    assert.deepEqual(view.inputs("kubernetes:core/v1:ServiceAccount", { declaration: "square" }).automountServiceAccountToken, false);
    assert.equal(pod("square").serviceAccountName, "square");
    assert.equal(pod("square").automountServiceAccountToken, false);
    assert.deepEqual(pod("square").volumes.find((v: any) => v.name === "sa-token").projected.sources[0], { serviceAccountToken: { path: "token", expirationSeconds: 3607 } });
  });
  it("/dev/shm is a memory emptyDir of half the pod's memory", () => {
    assert.deepEqual(pod("LlamaInference").volumes[0], { name: "shm", emptyDir: { medium: "Memory", sizeLimit: "6144Mi" } });
  });
  it("the container contract for the Redis transport (runtime/contract.ts), the password by reference", () => {
    const e = env("LlamaInference");
    assert.equal(e.GANTRY_TRANSPORT, "redis");
    assert.equal(e.GANTRY_REDIS_URL, `redis://redis.${NS}.svc:6379`);
    assert.equal(e.GANTRY_REDIS_USER, "gantry-llama-inference");
    assert.equal(e.GANTRY_REDIS_NAMESPACE, "llm-demo.dev");
    assert.equal(e.GANTRY_CLAIM_IDLE_SECONDS, "660", "timeout + 60 s, the SQS visibility rule");
    assert.equal(JSON.parse(e.GANTRY_SCALED_OBJECTS)["LlamaInference[gpu=H100]"], `${NS}/llama-inference-gpu-h100`);
    assert.equal(e.GANTRY_IDLE_EXIT, "off", "KEDA scales in");
    assert.deepEqual(envRef("LlamaInference", "GANTRY_REDIS_PASSWORD"), { secretKeyRef: { name: "redis-user-llama-inference", key: "password" } });
    assert.ok(!container("LlamaInference").env.some((e: any) => e.name === "GANTRY_REDIS_PASSWORD" && "value" in e));
  });
  it("images by digest from the configured registry, with the pull secrets", () => {
    assert.match(container("LlamaInference").image, /^ghcr\.io\/acme\/llm-demo-img-3f2a9c1d0b7e@sha256:[0-9a-f]{64}$/);
    assert.deepEqual(pod("LlamaInference").imagePullSecrets, [{ name: "regcred" }]);
    const build = view.inputs("docker-build:index:Image", { declaration: "image:img-3f2a9c1d0b7e" });
    assert.equal(build.push, true);
    assert.deepEqual(build.platforms, ["linux/amd64"]);
    assert.match(build.tags[0], /^ghcr\.io\/acme\/llm-demo-img-3f2a9c1d0b7e:/);
  });
});

describe("min/max/buffer/scaledownWindow -> KEDA ScaledObject", () => {
  it("lag + pending + retry over targetInputs, activating on one input, cooldown and HPA window = scaledownWindow", () => {
    const conn = { address: `redis.${NS}.svc:6379`, enableTLS: "false", databaseIndex: "0" };
    const stream = "gantry:{llm-demo.dev:EmbeddingService}:work";
    const auth = { authenticationRef: { name: "keda-redis" } };
    assert.deepEqual(view.inputs(SO, { declaration: "EmbeddingService" }).spec, {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "embedding-service" },
      pollingInterval: 5,
      cooldownPeriod: 180,
      minReplicaCount: 0,
      maxReplicaCount: 3,
      advanced: {
        restoreToOriginalReplicaCount: false,
        horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: 180 } } },
        scalingModifiers: { formula: "lag + pending + retry", target: "16", activationTarget: "0", metricType: "AverageValue" },
      },
      triggers: [
        { type: "redis-streams", name: "lag", metadata: { ...conn, stream, consumerGroup: "workers", lagCount: "16", activationLagCount: "0" }, ...auth },
        { type: "redis-streams", name: "pending", metadata: { ...conn, stream, consumerGroup: "workers", pendingEntriesCount: "16" }, ...auth },
        { type: "redis", name: "retry", metadata: { ...conn, listName: "gantry:{llm-demo.dev:EmbeddingService}:retry", listLength: "16", activationListLength: "0" }, ...auth },
      ],
    });
  });
  it("bufferContainers adds containers while there is work, never at zero", () => {
    const spec = llmApp();
    spec.functions.find((f) => f.name === "square")!.options.bufferContainers = 2;
    return planOf(spec, { config: { "gantry:target": "kubernetes" }, secretValues: { "dict-1a2b3c": { OPENAI_KEY: "x" } } }).then((v) => {
      assert.equal(v.inputs(SO, { declaration: "square" }).spec.advanced.scalingModifiers.formula, "(lag + pending + retry) > 0 ? lag + pending + retry + 2 : 0");
    });
  });
  it("web units never go to zero: at least one pod, on CPU", () => {
    const s = view.inputs(SO, { declaration: "api" }).spec;
    assert.equal(s.minReplicaCount, 1);
    assert.deepEqual(s.triggers, [{ type: "cpu", metricType: "Utilization", metadata: { value: "70" } }]);
  });
  it("KEDA reads Redis as its own user (TriggerAuthentication -> the keda user's Secret)", () => {
    assert.deepEqual(view.inputs("kubernetes:keda.sh/v1alpha1:TriggerAuthentication").spec, {
      secretTargetRef: [{ parameter: "username", name: "redis-user-keda", key: "username" }, { parameter: "password", name: "redis-user-keda", key: "password" }],
    });
  });
  it("updateAutoscaler: a Role that may get/patch exactly the app's ScaledObjects, bound to the units' accounts", () => {
    const role = view.inputs("kubernetes:rbac.authorization.k8s.io/v1:Role");
    assert.deepEqual(role.rules, [{ apiGroups: ["keda.sh"], resources: ["scaledobjects"], verbs: ["get", "patch"],
      resourceNames: ["api", "batch-train", "embedding-service", "health", "hourly", "llama-inference", "llama-inference-gpu-h100", "nightly", "square"] }]);
    assert.equal(view.inputs("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding").subjects.length, 9);
  });
});

describe("GPU nodes -> Karpenter NodePools", () => {
  it("one per GPU shape list and capacity type, GPU limit = Σ maxContainers × GPUs, spot from spot, tainted, WhenEmpty", () => {
    const pool = view.inputs("kubernetes:karpenter.sh/v1:NodePool", { name: "nodepool-gpu-h100x8-a100-80gbx8-spot-nodepool" });
    assert.equal(pool.metadata.name, "gantry-llm-demo-dev-gpu-h100x8-a100-80gbx8-spot");
    assert.deepEqual(pool.spec, {
      template: {
        metadata: { labels: { "gantry.dev/pool": "gpu-h100x8-a100-80gbx8-spot" } },
        spec: {
          nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" },
          requirements: [
            { key: "karpenter.k8s.aws/instance-gpu-name", operator: "In", values: ["a100", "h100"] },
            { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] },
            { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
            { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
          ],
          taints: [{ key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" }],
        },
      },
      limits: { "nvidia.com/gpu": "8" },
      disruption: { consolidationPolicy: "WhenEmpty", consolidateAfter: "60s" },
    });
    assert.equal(view.inputs("kubernetes:karpenter.sh/v1:NodePool", { name: "nodepool-gpu-a10gx1-nodepool" }).spec.limits["nvidia.com/gpu"], "5");
    assert.deepEqual(view.resource("kubernetes:karpenter.sh/v1:NodePool", { name: "nodepool-gpu-a10gx1-nodepool" }).serves, ["LlamaInference"]);
  });
});

describe("schedule -> CronJob", () => {
  it("the cron as written with its time zone; the Job makes one call of the function (once per Job name) as the function's user", () => {
    const s = view.inputs("kubernetes:batch/v1:CronJob", { declaration: "nightly" }).spec;
    assert.equal(s.schedule, "0 2 * * *");
    assert.equal(s.timeZone, "Europe/Paris");
    const c = s.jobTemplate.spec.template.spec.containers[0];
    assert.deepEqual(c.args.slice(0, 6), ["-u", `redis://redis.${NS}.svc:6379`, "--user", "$(GANTRY_REDIS_USER)", "--no-auth-warning", "EVAL"]);
    assert.equal(c.args[6], ENQUEUE_ONCE.source, "the transport's enqueue-once script");
    assert.deepEqual(c.args.slice(7, 10), ["2", "gantry:{llm-demo.dev:nightly}:call:sched-nightly-$(JOB_NAME)", "gantry:{llm-demo.dev:nightly}:work"]);
    assert.deepEqual(JSON.parse(c.args[10]), { v: 1, callId: "nightly/sched-nightly-$(JOB_NAME)", unit: "nightly", method: null, encoding: "json", enqueuedAt: 0, source: "schedule $(JOB_NAME)" });
    assert.deepEqual(c.args.slice(11), ["[]", String(7 * 86_400_000), "sched-nightly-$(JOB_NAME)"]);
    assert.deepEqual(c.env.find((e: any) => e.name === "REDISCLI_AUTH").valueFrom, { secretKeyRef: { name: "redis-user-nightly", key: "password" } });
  });
  it("a Period that divides the clock becomes a cron in UTC", () => {
    const s = view.inputs("kubernetes:batch/v1:CronJob", { declaration: "hourly" }).spec;
    assert.deepEqual([s.schedule, s.timeZone], ["0 * * * *", "UTC"]);
  });
});

describe("volume -> PersistentVolumeClaim", () => {
  it("ReadWriteMany on the configured storage class, kept on destroy, mounted by its users", () => {
    assert.deepEqual(view.inputs("kubernetes:core/v1:PersistentVolumeClaim").spec, { accessModes: ["ReadWriteMany"], storageClassName: "efs-sc", resources: { requests: { storage: "100Gi" } } });
    assert.deepEqual(pod("LlamaInference").volumes.find((v: any) => v.name === "vol-llm-model-weights"), { name: "vol-llm-model-weights", persistentVolumeClaim: { claimName: "llm-model-weights" } });
    assert.deepEqual(container("LlamaInference").volumeMounts.at(-1), { name: "vol-llm-model-weights", mountPath: "/models" });
  });
});

describe("Secret -> core/v1 Secret", () => {
  it("values never in the plan", () => {
    const text = JSON.stringify(view.plan);
    assert.ok(!text.includes("sk-live-123"), "the dict value");
    assert.equal(view.inputs("kubernetes:core/v1:Secret", { declaration: "secret:dict-1a2b3c" }).stringData, "[secret]");
    for (const r of view.resources("kubernetes:core/v1:Secret")) assert.equal((r.inputs as any).stringData, "[secret]", r.name);
  });
  it("requiredKeys each by secretKeyRef (a missing key stops the pod); a fromName without keys whole by envFrom", () => {
    assert.deepEqual(envRef("LlamaInference", "HF_TOKEN"), { secretKeyRef: { name: "huggingface-token", key: "HF_TOKEN" } });
    assert.deepEqual(container("api").envFrom, [{ secretRef: { name: "api-secrets" } }]);
  });
  it("a fromName secret without gantry:secrets values is the user's own: the stack declares none", () => {
    assert.equal(view.resources("kubernetes:core/v1:Secret", { declaration: "secret:huggingface-token" }).length, 0);
  });
});

describe("web -> gateway Deployment + Service + HTTPRoute", () => {
  it("endpoints go through a CPU gateway that always runs, on the user's Gateway", () => {
    const gw = view.inputs(DEP, { name: "gantry-gateway-deployment" });
    assert.equal(gw.spec.replicas, 2);
    assert.equal(gw.spec.template.spec.containers[0].resources.limits["nvidia.com/gpu"], undefined);
    assert.deepEqual(view.inputs("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", { name: "gantry-gateway-route" }).spec, {
      parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "gantry" }],
      rules: [{
        matches: [
          { path: { type: "Exact", value: "/EmbeddingService/embed" } },
          { path: { type: "Exact", value: "/EmbeddingService/embed/docs" } },
          { path: { type: "Exact", value: "/EmbeddingService/embed/openapi.json" } },
          { path: { type: "Exact", value: "/health" } },
          { path: { type: "PathPrefix", value: "/_gantry" } },
        ],
        backendRefs: [{ name: "gateway", port: 80 }],
      }],
    });
  });
  it("a webApp gets its own Service and an HTTPRoute on its path prefix", () => {
    assert.deepEqual(view.inputs("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", { declaration: "api" }).spec.rules, [{ matches: [{ path: { type: "PathPrefix", value: "/api" } }], backendRefs: [{ name: "api", port: 80 }] }]);
    assert.deepEqual(view.inputs("kubernetes:core/v1:Service", { declaration: "api" }).spec.ports, [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }]);
    assert.deepEqual(envRef("api", "GANTRY_WEB_TOKEN"), { secretKeyRef: { name: "web-token", key: "token" } });
  });
});

describe("Redis (deployed) and least privilege", () => {
  it("a one-pod StatefulSet with a volume, AOF on and noeviction", () => {
    const conf = view.inputs("kubernetes:core/v1:ConfigMap", { name: "gantry-redis-config" }).data["redis.conf"];
    for (const line of ["appendonly yes", "appendfsync everysec", "maxmemory-policy noeviction", "aclfile /etc/redis/acl/users.acl"]) assert.match(conf, new RegExp(`^${line}$`, "m"));
    const sts = view.inputs("kubernetes:apps/v1:StatefulSet");
    assert.equal(sts.spec.replicas, 1);
    assert.deepEqual(sts.spec.volumeClaimTemplates[0].spec, { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "10Gi" } } });
  });
  it("one ACL user per unit from runtime/redis/acl.ts; the ACL file is a secret", () => {
    assert.equal(view.inputs("kubernetes:core/v1:Secret", { name: "gantry-redis-acl" }).stringData, "[secret]");
    // the rules the unit's user gets are the shared ones, not a copy
    assert.ok(unitAclRules("llm-demo.dev", { unit: "square", calls: [], dicts: [], queues: [] }).includes("-@dangerous"));
  });
  it("a caller user for processes outside the cluster: every unit's, Dict's and Queue's keys, no admin commands; its password in redis-user-caller", () => {
    const secret = view.inputs("kubernetes:core/v1:Secret", { name: "gantry-redis-user-redis-user-caller" });
    assert.equal(secret.metadata.name, "redis-user-caller");
    assert.equal(secret.metadata.labels["gantry.dev/redis-user"], "gantry-caller");
    assert.equal((view.plan.outputs.redis as { callerSecret: string }).callerSecret, "redis-user-caller");
  });
  it("default-deny ingress; Redis admits only gantry's client pods and KEDA's namespace", () => {
    assert.deepEqual(view.inputs("kubernetes:networking.k8s.io/v1:NetworkPolicy", { name: "gantry-access-default-deny" }).spec, { podSelector: {}, policyTypes: ["Ingress"] });
    assert.deepEqual(view.inputs("kubernetes:networking.k8s.io/v1:NetworkPolicy", { name: "gantry-access-redis" }).spec.ingress, [{
      from: [
        { podSelector: { matchLabels: { "gantry.dev/redis-client": "true", "gantry.dev/stack": "dev", "app.kubernetes.io/part-of": "llm-demo" } } },
        { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "keda" } } },
      ],
      ports: [{ protocol: "TCP", port: 6379 }],
    }]);
    assert.equal(view.inputs(DEP, { declaration: "square" }).spec.template.metadata.labels["gantry.dev/redis-client"], "true");
  });
});
