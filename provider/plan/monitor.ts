/**
 * A Pulumi mock monitor that also records what a plan needs and the stock mock drops: each
 * registration's parent, explicit dependencies and raw inputs (with secrets still marked, so the
 * plan can print "[secret]" instead of the value).
 */
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks.js";

export interface Registration {
  urn: string;
  type: string;
  name: string;
  parent: string;
  custom: boolean;
  /** serialized inputs: secrets, unknowns, assets and resource references carry their signatures */
  object: Record<string, unknown>;
  dependsOn: string[];
  /** the `import` resource option ("" when unset) */
  importId: string;
  ignoreChanges: string[];
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
  getDependenciesList(): string[];
  getImportid(): string;
  getIgnorechangesList(): string[];
  getPropertydependenciesMap(): { forEach(cb: (value: { getUrnsList(): string[] }, key: string) => void): void };
}

type Callback = (err: unknown, response: { getUrn(): string } | undefined) => void;

export class RecordingMonitor extends MockMonitor {
  readonly registrations: Registration[] = [];
  /** URN -> outputs registered by components (`registerOutputs`) */
  readonly componentOutputs = new Map<string, unknown>();

  constructor(mocks: pulumi.runtime.Mocks) {
    super(mocks);
  }

  override async registerResource(req: any, callback: any): Promise<void> {
    const request = req as RegisterRequest;
    const propertyDeps = new Set<string>();
    request.getPropertydependenciesMap().forEach((value) => value.getUrnsList().forEach((u) => propertyDeps.add(u)));
    const pending: Omit<Registration, "urn"> = {
      type: request.getType(),
      name: request.getName(),
      parent: request.getParent(),
      custom: request.getCustom(),
      object: request.getObject()?.toJavaScript() ?? {},
      // dependencies beyond the ones inputs already carry: the explicit `dependsOn`
      dependsOn: request.getDependenciesList().filter((u) => !propertyDeps.has(u)),
      importId: request.getImportid(),
      ignoreChanges: request.getIgnorechangesList(),
    };
    const done: Callback = (err, response) => {
      if (!err && response) this.registrations.push({ ...pending, urn: response.getUrn() });
      (callback as Callback)(err, response);
    };
    return super.registerResource(req, done);
  }
}
