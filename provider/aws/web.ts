/**
 * Web: how requests reach functions.
 *
 * - gantry:aws:Api — one API Gateway HTTP API (HTTPS) for the app's `webEndpoint`s.
 * - gantry:aws:WebGateway — one small Lambda (runtime/aws/gateway/handler.ts, bundled with
 *   esbuild): the runtime's front door, which checks the bearer token, validates the body, enqueues
 *   the call and waits for its result (303 to a result URL beyond the synchronous window); its
 *   routing table (routes, queue URLs) is a file in its archive; its role may only enqueue to the
 *   declarations that have endpoints.
 * - gantry:aws:WebRoutes — per declaration with endpoints, its routes on the API.
 * - gantry:aws:WebToken — the Secrets Manager secret holding the bearer token of private
 *   endpoints, set from stack config `gantry:webToken` (a secure value).
 * - gantry:aws:LoadBalancer and gantry:aws:ServerRoute — one Application Load Balancer for the
 *   app's `webApp`/`webServer` functions, routed by path prefix (`/<name>`) to their ECS
 *   services; HTTPS when `gantry:certificateArn` is set, else HTTP only — and then internal when a
 *   private one is behind it (its bearer token never travels over plain HTTP on the internet).
 *   The runtime in the container checks bearer tokens for private ones.
 *
 * Cost: API Gateway $1.00 per million requests, Lambda per request and duration; the load
 * balancer ~$16/month plus LCUs while it exists.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { join } from "node:path";
import type { Bundle } from "./bundle.ts";
import { GantryComponent, type DeclarationRef, type StackInfo } from "./component.ts";
import type { FunctionQueue } from "./function-queue.ts";
import { MAX_MESSAGE_BYTES } from "./function-queue.ts";
import { HTTP_PORT } from "./function-service.ts";
import type { GatewayConfig } from "./gateway/routes.ts";
import { GATEWAY_TABLE_FILE, gatewayTableJson } from "../../runtime/aws/gateway/table.ts";
import { allow, assumeRolePolicy, policyDocument } from "./iam.ts";
import { keyPatterns, leadingKeys, WEB_CALLER } from "../../runtime/aws/call-keys.ts";
import { kebab } from "./names.ts";
import { functionPath } from "../../runtime/web/routes.ts";
import type { Network } from "./network.ts";
import type { CallState } from "./state.ts";
import type { Unit } from "./units.ts";

/** API Gateway's integration timeout is 30 s; the gateway answers 303 a little before (LAMBDA_SYNC_WINDOW_MS). */
export const GATEWAY_TIMEOUT_SECONDS = 30;

export class Api extends GantryComponent {
  readonly api: aws.apigatewayv2.Api;
  readonly url: pulumi.Output<string>;

  constructor(name: string, info: StackInfo, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:aws:Api", name, info, null, opts);
    this.api = new aws.apigatewayv2.Api(name, {
      protocolType: "HTTP",
      description: `gantry web endpoints of ${info.app} (${info.stack})`,
      tags: this.tags,
    }, this.childOpts);
    new aws.apigatewayv2.Stage(name, {
      apiId: this.api.id,
      name: "$default",
      autoDeploy: true,
      defaultRouteSettings: { throttlingBurstLimit: 500, throttlingRateLimit: 1000 },
      tags: this.tags,
    }, this.childOpts);
    this.url = this.api.apiEndpoint;
    this.registerOutputs({ url: this.url });
  }
}

export class WebToken extends GantryComponent {
  readonly secret: aws.secretsmanager.Secret;

  constructor(name: string, info: StackInfo, token: pulumi.Output<string> | null, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:aws:WebToken", name, info, null, opts);
    this.secret = new aws.secretsmanager.Secret(`${name}-secret`, {
      description: `bearer token of the private web endpoints of ${info.app} (${info.stack}); set with: pulumi config set --secret gantry:webToken <token>`,
      recoveryWindowInDays: 0,
      tags: this.tags,
    }, this.childOpts);
    if (token) new aws.secretsmanager.SecretVersion(`${name}-value`, { secretId: this.secret.id, secretString: token }, this.childOpts);
    else pulumi.log.warn("private web endpoints refuse every request until a token is set: pulumi config set --secret gantry:webToken <token>", this);
    this.registerOutputs({ arn: this.secret.arn });
  }
}

export interface WebGatewayInputs {
  config: GatewayConfig;
  bundle: Bundle;
  api: Api;
  /** the queue of each unit with endpoints */
  queues: ReadonlyMap<string, FunctionQueue>;
  /** how the gateway wakes each of those units from zero (runtime/aws/waker.ts), and its grant to */
  wake: { targets: ReadonlyMap<string, { resourceId: pulumi.Input<string>; targetInputs: number; maxContainers: number }>; serviceArn: pulumi.Input<string> };
  state: CallState;
  token: WebToken | null;
  logRetentionDays: number;
}

/** Files of swagger-ui-dist the docs page serves (runtime/web/docs-page.ts), shipped in the archive. */
export const SWAGGER_FILES = ["package.json", "swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"];

export class WebGateway extends GantryComponent {
  readonly function: aws.lambda.Function;
  readonly integration: aws.apigatewayv2.Integration;

  constructor(name: string, info: StackInfo, inputs: WebGatewayInputs, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:aws:WebGateway", name, info, null, opts);
    const logGroup = this.createLogGroup(name, info, inputs);
    const role = this.createRole(name, inputs, logGroup);
    this.function = this.createFunction(name, inputs, role, logGroup);
    this.integration = this.createIntegration(name, inputs);
    this.createSharedRoutes(name, inputs);
    this.registerOutputs({ function: this.function.name });
  }

  private createLogGroup(name: string, info: StackInfo, inputs: WebGatewayInputs): aws.cloudwatch.LogGroup {
    return new aws.cloudwatch.LogGroup(`${name}-logs`, {
      name: `/gantry/${kebab(info.app)}/${kebab(info.stack)}/gateway`,
      retentionInDays: inputs.logRetentionDays,
      tags: this.tags,
    }, this.childOpts);
  }

  /** Enqueue to the units with endpoints (and nothing else), read their results, read the token. */
  private createRole(name: string, i: WebGatewayInputs, logGroup: aws.cloudwatch.LogGroup): aws.iam.Role {
    const role = new aws.iam.Role(name, {
      description: "gantry: web gateway (API Gateway -> queues)",
      assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com"),
      tags: this.tags,
    }, this.childOpts);
    const bucket = i.state.payloadBucket.arn;
    const units = [...i.queues.keys()];
    const web = keyPatterns(WEB_CALLER);
    new aws.iam.RolePolicy(name, {
      role: role.id,
      policy: policyDocument([
        allow("WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [pulumi.interpolate`${logGroup.arn}:*`]),
        allow("EnqueueWebCalls", ["sqs:SendMessage"], [...i.queues.values()].map((q) => q.queue.arn)),
        // the gateway waits with the runtime's result waiter, which polls with BatchGetItem; it
        // calls as `@web` (runtime/aws/call-keys.ts): the results of its own calls, nothing else
        allow("ReadResults", ["dynamodb:BatchGetItem", "dynamodb:GetItem"], [i.state.resultsTable.arn], leadingKeys(units.map((u) => web.callsMadeTo(u)))),
        allow("WriteLargeInputs", ["s3:PutObject"], units.map((u) => pulumi.interpolate`${bucket}/${web.inputsWrittenFor(u)}`)),
        allow("ReadLargeResults", ["s3:GetObject"], units.map((u) => pulumi.interpolate`${bucket}/${web.resultsToReadFrom(u)}`)),
        allow("ReadToken", ["secretsmanager:GetSecretValue"], i.token ? [i.token.secret.arn] : []),
        // a web call to a unit at zero sets its desired count (runtime/aws/waker.ts)
        ...(i.wake.targets.size ? [allow("WakeUnits", ["ecs:DescribeServices", "ecs:UpdateService"], [i.wake.serviceArn])] : []),
      ]),
    }, this.childOpts);
    return role;
  }

  private createFunction(name: string, i: WebGatewayInputs, role: aws.iam.Role, logGroup: aws.cloudwatch.LogGroup): aws.lambda.Function {
    // paths relative to the project root: Pulumi runs programs there, and plans stay machine-independent
    const file = (path: string) => new pulumi.asset.FileAsset(join(i.bundle.dir, path));
    // the routing table (routes and queue URLs) travels in the archive: it grows with the app,
    // and Lambda caps the whole environment at 4 KB (runtime/aws/gateway/table.ts)
    const queueUrls = pulumi.all([...i.queues].map(([unit, q]) => pulumi.all([unit, q.queue.url])));
    const wake = pulumi.all([...i.wake.targets].map(([unit, w]) => pulumi.all([unit, w.resourceId]).apply(([u, resourceId]) =>
      [u, { resourceId, targetInputs: w.targetInputs, maxContainers: w.maxContainers }] as const)));
    const code = pulumi.all([queueUrls, wake]).apply(([pairs, targets]) => new pulumi.asset.AssetArchive({
      "index.mjs": file(i.bundle.entry),
      [GATEWAY_TABLE_FILE]: new pulumi.asset.StringAsset(gatewayTableJson(i.config, Object.fromEntries(pairs), Object.fromEntries(targets))),
      ...Object.fromEntries(SWAGGER_FILES.map((f) => [`node_modules/swagger-ui-dist/${f}`, file(`node_modules/swagger-ui-dist/${f}`)])),
    }));
    const variables: Record<string, pulumi.Input<string>> = {
      GANTRY_RESULTS_TABLE: i.state.resultsTable.name,
      GANTRY_PAYLOAD_BUCKET: i.state.payloadBucket.bucket,
      GANTRY_SQS_MAX_BYTES: String(MAX_MESSAGE_BYTES),
      NODE_OPTIONS: "--enable-source-maps",
    };
    if (i.token) variables.GANTRY_TOKEN_SECRET_ARN = i.token.secret.arn;
    return new aws.lambda.Function(name, {
      description: "gantry web gateway: validates, enqueues, waits (303 past 25 s)",
      runtime: aws.lambda.Runtime.NodeJS24dX,
      architectures: ["arm64"],
      handler: "index.handler",
      code,
      role: role.arn,
      memorySize: 512,
      timeout: GATEWAY_TIMEOUT_SECONDS,
      environment: { variables },
      loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
      tags: this.tags,
    }, this.childOpts);
  }

  private createIntegration(name: string, i: WebGatewayInputs): aws.apigatewayv2.Integration {
    const integration = new aws.apigatewayv2.Integration(name, {
      apiId: i.api.api.id,
      integrationType: "AWS_PROXY",
      integrationUri: this.function.invokeArn,
      integrationMethod: "POST",
      payloadFormatVersion: "2.0",
      timeoutMilliseconds: GATEWAY_TIMEOUT_SECONDS * 1000,
    }, this.childOpts);
    new aws.lambda.Permission(name, {
      action: "lambda:InvokeFunction",
      function: this.function.name,
      principal: "apigateway.amazonaws.com",
      sourceArn: pulumi.interpolate`${i.api.api.executionArn}/*/*`,
    }, this.childOpts);
    return integration;
  }

  /** Result URLs, the app's docs page and its assets: `/_gantry/...`. */
  private createSharedRoutes(name: string, i: WebGatewayInputs): void {
    new aws.apigatewayv2.Route(`${name}-gantry`, {
      apiId: i.api.api.id,
      routeKey: "ANY /_gantry/{proxy+}",
      target: pulumi.interpolate`integrations/${this.integration.id}`,
    }, this.childOpts);
  }
}

/**
 * gantry:aws:WebRoutes — a declaration's endpoints on the API. Routes are `ANY <path>` so the
 * gateway, not API Gateway, answers a wrong method (405 with `Allow`, as `gantry serve` does).
 */
export class WebRoutes extends GantryComponent {
  constructor(name: string, info: StackInfo, ref: DeclarationRef, unit: Unit, api: Api, gateway: WebGateway, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:aws:WebRoutes", name, info, ref, opts);
    const target = pulumi.interpolate`integrations/${gateway.integration.id}`;
    for (const e of unit.endpoints) {
      const keys = [`ANY ${e.path}`, ...(e.web.docs ? [`GET ${e.path}/docs`, `GET ${e.path}/openapi.json`] : [])];
      for (const routeKey of keys) {
        new aws.apigatewayv2.Route(`${name}-${kebab(routeKey)}`, { apiId: api.api.id, routeKey, target }, this.childOpts);
      }
    }
    this.registerOutputs({});
  }
}

export interface LoadBalancerInputs {
  network: Network;
  certificateArn: string | null;
  /** a webApp/webServer whose callers send credentials is behind it: gantry's bearer token, or the app's own (`auth: "app"`) */
  privateServers: boolean;
}

export class LoadBalancer extends GantryComponent {
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly loadBalancer: aws.lb.LoadBalancer;
  readonly listener: aws.lb.Listener;
  readonly url: pulumi.Output<string>;

  constructor(name: string, info: StackInfo, inputs: LoadBalancerInputs, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:aws:LoadBalancer", name, info, null, opts);
    const https = inputs.certificateArn !== null;
    // a bearer token never crosses the internet in cleartext: without a certificate, a load
    // balancer with private servers behind it is internal (reachable from inside the VPC only)
    const internal = !https && inputs.privateServers;
    if (internal) {
      pulumi.log.warn("the load balancer is internal (reachable from inside the VPC only): private webApp/webServer endpoints (and auth: \"app\" ones) take credentials, " +
        "which must not travel over plain HTTP; set gantry:certificateArn to an ACM certificate to serve them over HTTPS on the internet", this);
    }
    this.securityGroup = this.createSecurityGroup(name, inputs.network, https);
    this.loadBalancer = new aws.lb.LoadBalancer(name, {
      loadBalancerType: "application",
      internal,
      securityGroups: [this.securityGroup.id],
      subnets: internal ? inputs.network.privateSubnetIds : inputs.network.publicSubnetIds,
      dropInvalidHeaderFields: true,
      // requests whose framing is ambiguous (RFC 7230 desync classes) are refused, not forwarded
      desyncMitigationMode: "strictest",
      // longer than the container front door's synchronous window (150 s), so a waiting request is not cut
      idleTimeout: 180,
      tags: this.tags,
    }, this.childOpts);
    this.listener = this.createListener(name, inputs.certificateArn);
    this.url = pulumi.interpolate`${https ? "https" : "http"}://${this.loadBalancer.dnsName}`;
    this.registerOutputs({ url: this.url });
  }

  private createSecurityGroup(name: string, network: Network, https: boolean): aws.ec2.SecurityGroup {
    const port = https ? 443 : 80;
    return new aws.ec2.SecurityGroup(`${name}-lb`, {
      vpcId: network.vpcId,
      description: "gantry load balancer: HTTP(S) from anywhere, to the web services",
      ingress: [
        { protocol: "tcp", fromPort: port, toPort: port, cidrBlocks: ["0.0.0.0/0"], description: https ? "HTTPS" : "HTTP" },
        ...(https ? [{ protocol: "tcp", fromPort: 80, toPort: 80, cidrBlocks: ["0.0.0.0/0"], description: "HTTP, redirected to HTTPS" }] : []),
      ],
      egress: [{ protocol: "tcp", fromPort: HTTP_PORT, toPort: HTTP_PORT, cidrBlocks: ["0.0.0.0/0"], description: "to the containers" }],
      tags: { ...this.tags, Name: `${name}-lb` },
    }, this.childOpts);
  }

  private createListener(name: string, certificateArn: string | null): aws.lb.Listener {
    const notFound = { type: "fixed-response", fixedResponse: { contentType: "application/json", statusCode: "404", messageBody: "{\"error\":\"no such app\"}" } };
    if (!certificateArn) {
      return new aws.lb.Listener(`${name}-http`, { loadBalancerArn: this.loadBalancer.arn, port: 80, protocol: "HTTP", defaultActions: [notFound], tags: this.tags }, this.childOpts);
    }
    new aws.lb.Listener(`${name}-http`, {
      loadBalancerArn: this.loadBalancer.arn,
      port: 80,
      protocol: "HTTP",
      defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
      tags: this.tags,
    }, this.childOpts);
    return new aws.lb.Listener(`${name}-https`, {
      loadBalancerArn: this.loadBalancer.arn,
      port: 443,
      protocol: "HTTPS",
      sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
      certificateArn,
      defaultActions: [notFound],
      tags: this.tags,
    }, this.childOpts);
  }
}

export interface ServerRouteInputs {
  unit: Unit;
  network: Network;
  loadBalancer: LoadBalancer;
  /** listener rule priority, unique per listener */
  priority: number;
}

export class ServerRoute extends GantryComponent {
  readonly targetGroup: aws.lb.TargetGroup;
  /** ECS refuses a target group that no listener uses yet: services depend on this rule */
  readonly rule: aws.lb.ListenerRule;
  readonly pathPrefix: string;

  constructor(name: string, info: StackInfo, ref: DeclarationRef, inputs: ServerRouteInputs, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:aws:ServerRoute", name, info, ref, opts);
    this.pathPrefix = functionPath(inputs.unit.name);
    this.targetGroup = new aws.lb.TargetGroup(`${name}-tg`, {
      namePrefix: "gantry",
      targetType: "ip",
      protocol: "HTTP",
      port: HTTP_PORT,
      vpcId: inputs.network.vpcId,
      deregistrationDelay: 30,
      healthCheck: { path: "/readyz", matcher: "200", interval: 15, healthyThreshold: 2, unhealthyThreshold: 3 },
      tags: this.tags,
    }, this.childOpts);
    this.rule = new aws.lb.ListenerRule(`${name}-rule`, {
      listenerArn: inputs.loadBalancer.listener.arn,
      priority: inputs.priority,
      conditions: [{ pathPattern: { values: [this.pathPrefix, `${this.pathPrefix}/*`] } }],
      actions: [{ type: "forward", targetGroupArn: this.targetGroup.arn }],
      tags: this.tags,
    }, this.childOpts);
    this.registerOutputs({ pathPrefix: this.pathPrefix });
  }
}
