// @enter runs once per container before any input, @exit once on shutdown (also on Ctrl-C).
// State in fields lives as long as the container: the counter keeps counting across calls.
//   npx gantry run examples/lifecycle/app.ts
import { App, Cls, enter, exit, method } from "gantry";

export const app = new App("lifecycle");

@app.cls({ maxContainers: 1, scaledownWindow: 30 })
export class Counter {
  private count = 0;
  private startedAt = 0;

  @enter()
  start() {
    this.startedAt = Date.now();
    console.log(`[container ${process.pid}] enter: counter ready`);
  }

  @method()
  increment(by = 1): number {
    this.count += by;
    return this.count;
  }

  @exit()
  stop() {
    console.log(`[container ${process.pid}] exit: counted to ${this.count} in ${Date.now() - this.startedAt} ms`);
  }
}

export const main = app.localEntrypoint(async () => {
  const counter = Cls.of(Counter).instance();
  for (let i = 0; i < 3; i++) console.log(`count = ${await counter.increment.remote()}`);
  console.log(`count = ${await counter.increment.remote(10)}`);
});
