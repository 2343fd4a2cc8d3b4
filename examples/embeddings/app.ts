// Batch embedding: a @batched method receives arrays, callers send one text at a time.
// map(..., { returnExceptions: true }) keeps going past bad inputs; starmap spreads argument tuples.
//   npx gantry run examples/embeddings/app.ts
import { App, Cls, batched, concurrent, method } from "gantry";

export const app = new App("embeddings");

const DIMENSIONS = 8;

/** A stand-in embedding: character trigram hashing into a small normalized vector. */
function embedText(text: string): number[] {
  const v = new Array<number>(DIMENSIONS).fill(0);
  for (let i = 0; i + 3 <= text.length; i++) {
    let h = 0;
    for (const c of text.slice(i, i + 3)) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    v[h % DIMENSIONS] += 1;
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => Math.round((x / norm) * 1000) / 1000);
}

@app.cls({ cpu: 1, memory: 1024, maxContainers: 2 })
@concurrent({ maxInputs: 32 })
export class Embedder {
  @batched({ maxBatchSize: 16, waitMs: 20 })
  async embed(texts: string[]): Promise<number[][]> {
    return texts.map(embedText);
  }

  @method()
  async similarity(a: string, b: string): Promise<number> {
    const [x, y] = [embedText(a), embedText(b)];
    return Math.round(x.reduce((s, xi, i) => s + xi * y[i], 0) * 1000) / 1000;
  }
}

/** Cleans one text; an empty one is an error the caller can keep as a value. */
export const clean = app.function({ retries: 0 }, async (text: string) => {
  if (text.trim() === "") throw new Error("empty text");
  return text.trim().toLowerCase();
});

export const main = app.localEntrypoint(async () => {
  const texts = ["Gantry", "runs on", "your own cloud", "  ", "with GPUs"];
  const cleaned = await clean.map(texts, { returnExceptions: true });
  cleaned.forEach((c, i) => { if (c instanceof Error) console.log(`skipping ${JSON.stringify(texts[i])}: ${c.message}`); });
  const good = cleaned.filter((c): c is string => typeof c === "string");

  const embedder = Cls.of(Embedder).instance();
  const vectors = await embedder.embed.map(good);
  good.forEach((t, i) => console.log(t.padEnd(16), vectors[i].slice(0, 4)));
  const pairs: Array<[string, string]> = [["gantry", "gantry"], ["gantry", "modal"], ["cloud", "clouds"]];
  console.log(await embedder.similarity.starmap(pairs));
});
