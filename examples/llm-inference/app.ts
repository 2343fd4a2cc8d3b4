// LLM inference as a platform team would deploy it: a GPU class with model weights on a volume, a
// Hugging Face token from the stack's secret store, memory snapshots for fast cold starts, a bigger
// variant for long prompts, and a spot-capacity batch job with a GPU fallback list fed by a Queue.
// The "model" is a tiny CPU stand-in so the example runs anywhere:
//   npx gantry secret create huggingface-token HF_TOKEN=hf_dummy
//   npx gantry run examples/llm-inference/app.ts
import { App, Cls, Image, Queue, Retries, Secret, Volume, concurrent, enter, exit, method, parameter } from "gantry";

export const app = new App("llm-inference");

const inferenceImage = Image.debianSlim({ node: "24", python: "3.11" })
  .aptInstall("libgomp1=12.2.0-14")
  .npmInstall("onnxruntime-node@1.20.1")
  .pipInstall("torch==2.3.0", "transformers==4.41.0")
  .env({ HF_HOME: "/models/hf" });
const weights = Volume.fromName("llm-model-weights", { createIfMissing: true });
const hfToken = Secret.fromName("huggingface-token", { requiredKeys: ["HF_TOKEN"] });
const jobs = Queue.fromName<string>("summarize-jobs", { createIfMissing: true });

/** Stand-in for a model: "generates" by reversing words, slowly, like a real one would. */
class TinyModel {
  constructor(readonly name: string) {}
  run(prompt: string): string {
    return `[${this.name}] ${prompt.split(" ").reverse().join(" ")}`;
  }
}

@app.cls({
  image: inferenceImage, gpu: "A10G", volumes: { "/models": weights }, secrets: [hfToken],
  scaledownWindow: 300, maxContainers: 5, enableMemorySnapshot: true, timeout: 120,
})
@concurrent({ maxInputs: 8, targetInputs: 6 })
export class LlamaInference {
  modelName = parameter<string>();
  maxTokens = parameter({ default: 256 });
  private model?: TinyModel;

  @enter({ snap: true })
  load() {
    // a real model would read /models/<modelName> here; the snapshot keeps it loaded
    if (!process.env.HF_TOKEN) throw new Error("HF_TOKEN missing");
    this.model = new TinyModel(this.modelName);
  }

  @method()
  async generate(prompt: string): Promise<string> {
    return this.model!.run(prompt).slice(0, this.maxTokens);
  }

  @exit()
  unload() {
    this.model = undefined;
  }
}

// A variant for long prompts: its own pool of H100s, found by the synthesizer.
export const longContext = Cls.of(LlamaInference).withOptions({ gpu: "H100", maxContainers: 2 });

// Batch summarization on spot capacity: L40S preferred, A10G when none is free; a preempted input
// is retried, and one container is kept warm while work is queued.
export const summarizeQueued = app.function(
  { gpu: ["L40S", "A10G"], spot: true, maxContainers: 10, bufferContainers: 1, timeout: 900,
    retries: new Retries({ maxRetries: 3, backoffCoefficient: 2, initialDelay: 5 }) },
  async (max: number) => {
    const done: string[] = [];
    for (let i = 0; i < max; i++) {
      const job = await jobs.get({ timeout: 1 });
      if (job === undefined) break;
      done.push(`summary of ${job}: ${job.split(" ").length} words`);
    }
    return done;
  },
);

export const main = app.localEntrypoint(async () => {
  const llama = Cls.of(LlamaInference).instance({ modelName: "mistral-7b" });
  console.log(await llama.generate.remote("Explain transformers briefly"));
  console.log(await longContext.instance({ modelName: "llama-70b", maxTokens: 64 }).generate.remote("a very long prompt"));
  for (const doc of ["the quick brown fox", "gantry runs on your own cloud"]) await jobs.put(doc);
  console.log(await summarizeQueued.remote(10));
});
