// A client app that calls another app's class by name, as Modal's `Cls.from_name` does, with a
// local file baked into its image and a subprocess writing into a volume. Run both apps at once:
//   npx gantry run examples/caller/app.ts --with examples/model-class/app.ts
// or start the other app's dev server first (`npx gantry serve examples/model-class/app.ts`),
// and `npx gantry run examples/caller/app.ts` finds it.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { App, Cls, Image, Volume } from "gantry";
import type { TextModel } from "../model-class/app.ts";

export const app = new App("caller");

// prompts.txt is copied into the image at /app/prompts.txt (locally, containers see it there too)
const image = Image.debianSlim({ node: "24" }).addLocalFile("./prompts.txt", "/app/prompts.txt");
const cache = Volume.fromName("caller-cache", { createIfMissing: true });

const Model = Cls.fromName<TextModel>("model-class", "TextModel");

// A subprocess writes into the volume, as `huggingface-cli download … --local-dir /cache/…` would.
export const stagePrompts = app.function({ image, volumes: { "/cache": cache } }, async () => {
  execFileSync("sh", ["-c", "mkdir -p /cache/prompts && cp /app/prompts.txt /cache/prompts/"]);
  return readFileSync("/cache/prompts/prompts.txt", "utf8").split("\n").filter(Boolean);
});

export const main = app.localEntrypoint(async () => {
  const model = Model.instance({ corpus: "shakespeare" });
  for (const prompt of await stagePrompts.remote()) console.log(`${prompt} -> ${await model.generate.remote(prompt, 2)}`);
});
