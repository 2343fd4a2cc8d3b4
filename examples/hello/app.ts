// The smallest gantry app: one function, called once and mapped over a list.
//   npx gantry run examples/hello/app.ts
import { App } from "gantry";

export const app = new App("hello-gantry");

export const square = app.function({ timeout: 60, retries: 2 }, async (x: number) => {
  await new Promise((r) => setTimeout(r, 500));
  return x * x;
});

// Modal's `@concurrent` on a function: one container takes up to 8 inputs at once.
export const cube = app.function({ timeout: 60, concurrency: { maxInputs: 8 } }, async (x: number) => {
  await new Promise((r) => setTimeout(r, 200));
  return x * x * x;
});

// A staging override, as Modal's `fn.with_options(...)`: the same code in its own, smaller pool.
export const cubeStaging = cube.withOptions({ maxContainers: 1 });

export const main = app.localEntrypoint(async () => {
  console.log(`7² = ${await square.remote(7)}`);
  console.log(await square.map([1, 2, 3, 4, 5]));
  console.log(`cubes: ${(await cubeStaging.map([1, 2, 3, 4])).join(" ")}`);
});
