/** Plans for the review tests: a GPU change (the done-when), and a security-relevant change. */
import type { Plan } from "../../../provider/plan.ts";
import { at, cls, endpoint, fn, gpu, plan, resource, spec } from "../helpers.ts";

function llm(type: "A10G" | "H100", max: number, instanceType: string): Plan {
  const s = spec({ name: "llm", classes: [cls("LlamaInference", 17, { gpu: gpu(type), maxContainers: max, timeout: 600, scaledownWindow: 300 })] });
  return plan(s, [
    resource("aws:ec2/launchTemplate:LaunchTemplate", `gpu-${type.toLowerCase()}`, { instanceType, imageId: "[unknown]" }),
    resource("aws:autoscaling/group:Group", `gpu-${type.toLowerCase()}`, { minSize: 0, maxSize: max }),
    resource("aws:appautoscaling/target:Target", "LlamaInference", { minCapacity: 0, maxCapacity: max, resourceId: "[unknown]" }, "LlamaInference", at(17)),
    resource("aws:ecs/taskDefinition:TaskDefinition", "LlamaInference", {
      family: "llm-LlamaInference",
      containerDefinitions: JSON.stringify([{ name: "main", image: "[unknown]", resourceRequirements: [{ type: "GPU", value: "1" }], environment: [{ name: "GANTRY_GPU", value: type }] }]),
    }, "LlamaInference", at(17)),
    resource("aws:sqs/queue:Queue", "LlamaInference", { visibilityTimeoutSeconds: 660, redrivePolicy: "[unknown]" }, "LlamaInference", at(17)),
  ], "prod");
}

export const gpuBase = (): Plan => llm("A10G", 5, "g5.xlarge");
export const gpuHead = (): Plan => llm("H100", 20, "p5.4xlarge");

function web(head: boolean): Plan {
  const s = spec({
    name: "web",
    secrets: [
      { kind: "dict", id: "sec-greeting", keys: ["GREETING_STYLE"], valueHash: head ? "v2" : "v1", source: at(36) },
      ...(head ? [{ kind: "named" as const, id: "sec-stripe", name: "stripe", requiredKeys: ["STRIPE_KEY"], source: at(37) }] : []),
    ],
    functions: [
      fn("health", 28, { maxContainers: 1, timeout: 10 }, { web: endpoint(28, head) }),
      fn("api", 38, { maxContainers: 2, timeout: 30, secrets: head ? ["sec-greeting", "sec-stripe"] : ["sec-greeting"] }, { web: endpoint(38) }),
    ],
  });
  const policy = (statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
  const sqs = { Effect: "Allow", Action: ["sqs:SendMessage", "sqs:ReceiveMessage"], Resource: "arn:aws:sqs:us-east-1:123456789012:web-api" };
  const resources = [
    resource("aws:iam/rolePolicy:RolePolicy", "api-task", { role: "web-api-task", policy: policy(head ? [sqs, { Effect: "Allow", Action: "s3:*", Resource: "*" }] : [sqs]) }, "api", at(38)),
    resource("aws:sqs/queue:Queue", "api", { name: head ? "web-api-v2" : "web-api", visibilityTimeoutSeconds: 60 }, "api", at(38)),
    resource("aws:lambda/function:Function", "gateway", { runtime: "nodejs24.x", memorySize: head ? 512 : 256, environment: { variables: { TOKEN: "[secret]" } } }),
    ...(head ? [resource("aws:secretsmanager/secret:Secret", "stripe", { name: "web/stripe" })] : [resource("aws:cloudwatch/logGroup:LogGroup", "old-logs", { retentionInDays: 7 })]),
  ];
  return plan(s, resources, "staging");
}

export const webBase = (): Plan => web(false);
export const webHead = (): Plan => web(true);
