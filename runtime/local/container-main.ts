/**
 * Entry of a local container process (`node --import tsx runtime/local/container-main.ts`),
 * started by the supervisor with the pipe on fd 3. Reads its boot message, mounts volumes (path
 * remapping), installs the invoker that proxies nested calls to the supervisor, imports the app
 * and runs the worker loop over the pipe.
 */
import { Socket } from "node:net";
import { setInvoker } from "../../sdk/invoker.ts";
import { Channel } from "./channel.ts";
import { PipeTransport } from "./pipe-transport.ts";
import { ContainerInvoker } from "./container-invoker.ts";
import { installPathRemap } from "./fs-remap.ts";
import { installChildPathRewrite } from "./child-paths.ts";
import { watchParent } from "./parent-watch.ts";
import { importApp, loadTarget } from "../worker/target.ts";
import { webTarget } from "../worker/web-target.ts";
import { runWorker } from "../worker/loop.ts";
import { encodeError } from "../serialize.ts";
import { logger } from "../log.ts";
import type { BootInfo, FromContainer, ToContainer } from "./protocol.ts";

const socket = new Socket({ fd: 3, readable: true, writable: true });
let resolveBoot: (boot: BootInfo) => void;
const booted = new Promise<BootInfo>((resolve) => (resolveBoot = resolve));
const channel = new Channel<ToContainer, FromContainer>(socket, (message) => {
  if (message.t === "boot") resolveBoot(message.boot);
  else transport.handle(message);
});
const transport = new PipeTransport(channel);
let started = false;

/**
 * The supervisor died (even by SIGKILL, the kernel closes its end of the pipe) or went away: stop
 * at once, run `@exit` hooks, exit. Nobody waits for us any more; hooks get 10 s at most.
 */
function supervisorGone(): void {
  if (!started) process.exit(0); // nothing of the app ran: nothing to tear down
  transport.disconnected();
  setTimeout(() => process.exit(0), 10_000).unref();
}
channel.onClose(supervisorGone);
// the pipe is the signal; the parent pid is a backstop should another process hold its other end
const parentWatch = watchParent(() => channel.destroy(), { everyMs: 1000 });

// Ctrl-C in a terminal, and a closed terminal's SIGHUP, reach the whole process group: the
// supervisor decides when we stop
process.on("SIGINT", () => {});
process.on("SIGHUP", () => {});
process.on("SIGTERM", () => transport.stopLoop(0));

const boot = await booted;
started = true;
const log = logger("container", { container: boot.label });
installPathRemap(boot.mounts);
if (boot.childMounts.mode === "rewrite") installChildPathRewrite(boot.mounts);
setInvoker(new ContainerInvoker(transport, boot.spec));

let exitCode = 0;
try {
  let target = await loadTarget({
    appFile: boot.appFile, appName: boot.appName, kind: boot.kind, name: boot.name,
    params: boot.params, maxInputs: boot.maxInputs, batching: boot.batching,
  });
  if (boot.web) {
    // a webApp/webServer function (gantry serve): forwarded requests go to its handler
    const marker = (await importApp(boot.appFile, boot.appName)).findFunction(boot.name)?.web;
    if (!marker || marker.kind === "endpoint") throw new TypeError(`${boot.name} is not a webApp/webServer function`);
    target = webTarget(target, boot.name, marker);
  }
  const exit = await runWorker(target, transport, { setupTimeoutMs: boot.setupTimeoutMs, log });
  if (exit === "setup-failed") exitCode = 1;
} catch (err) {
  // importing the app failed: a setup failure, not an input error
  log.error({ err }, "could not load the app");
  await transport.setupFailed(encodeError(err));
  exitCode = 1;
}
parentWatch.stop();
// a supervisor that is gone reads nothing more: no need to flush the pipe
if (channel.isClosed) process.exit(exitCode);
socket.end(() => process.exit(exitCode));
setTimeout(() => process.exit(exitCode), 2000).unref();
