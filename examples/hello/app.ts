// The smallest gantry app: one function, called once and mapped over a list.
//   npx gantry run examples/hello/app.ts
import { App } from "gantry";

export const app = new App("hello-gantry");

export const square = app.function({ timeout: 60, retries: 2 }, async (x: number) => {
  await new Promise((r) => setTimeout(r, 500));
  return x * x;
});

export const main = app.localEntrypoint(async () => {
  console.log(`7² = ${await square.remote(7)}`);
  console.log(await square.map([1, 2, 3, 4, 5]));
});
