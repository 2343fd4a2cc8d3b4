/**
 * `Function.fromName<typeof fn>(app, name, { stack })`: a deployed function called from any Node
 * process (a web service, a script, a job), typed like the function itself. With `stack`, the
 * function is found in that stack of the AWS account and region this process's credentials reach
 * (runtime/aws/deployed-invoker.ts: only AWS credentials, no gantry runtime attached); without, the
 * call goes through the runtime attached to this process (`gantry run`, a gantry container).
 * The least IAM policy such a caller needs: `gantry synth <app.ts> --stack S --caller-policy <name>`.
 */
import { CallHandleImpl, type CallHandle, type FunctionHandle, type InvokerSource } from "./handles.ts";
import { currentInvoker, type CallTarget } from "./invoker.ts";
import { deployedSource, stackNameOf, type RedisOption } from "./deployed.ts";

export interface FromNameOptions {
  /** the deployed stack (`prod`, or `org/project/prod`): calls go straight to it on AWS */
  stack?: string;
  /** the stack's AWS region (default: AWS_REGION / AWS_DEFAULT_REGION / the profile's) */
  region?: string;
  /**
   * a Kubernetes stack: its Redis (`redis://host:6379`, or `{ url, username, password }`; default user and
   * password GANTRY_REDIS_USER / GANTRY_REDIS_PASSWORD); calls go there instead of AWS
   */
  redis?: RedisOption;
}

type AnyFunctionHandle = FunctionHandle<any[], any>;

/** What `fromName` gives for `typeof fn`: the same calls with the same argument and result types. */
export type DeployedFunction<F extends AnyFunctionHandle> = F extends FunctionHandle<infer A, infer R> ? CallHandle<A, R> : never;

export class Function {
  private constructor() {}

  /** A function deployed by an app (this one or another), found by name; `name` may be a variant id (`embed[gpu=T4]`). */
  static fromName<F extends AnyFunctionHandle = FunctionHandle<unknown[], unknown>>(app: string, name: string, options: FromNameOptions = {}): DeployedFunction<F> {
    const bracket = name.indexOf("[");
    const target: CallTarget = bracket > 0 ? { app, name: name.slice(0, bracket), variant: name } : { app, name };
    let invoker: InvokerSource = currentInvoker;
    if (options.stack !== undefined) {
      const stack = stackNameOf(options.stack);
      if (!stack) throw new TypeError(`Function.fromName(${JSON.stringify(app)}, ${JSON.stringify(name)}): stack "${options.stack}" is not a stack name`);
      invoker = deployedSource({ app, stack, unit: name, region: options.region, redis: options.redis });
    }
    return new CallHandleImpl(() => ({ ...target }), async () => {
      throw new Error(`${name}.local(): Function.fromName handles cannot run locally; import the function itself to run it in this process`);
    }, invoker) as unknown as DeployedFunction<F>;
  }
}
