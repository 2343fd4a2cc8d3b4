// A parameterized model class: each parameter set gets its own containers, `@enter` loads the
// "model" once per container. The model is a tiny CPU stand-in (a bigram table built from a
// corpus) so the example runs anywhere; a real one would load weights from the volume.
//   npx gantry run examples/model-class/app.ts
import { App, Cls, Image, Volume, enter, method, parameter, concurrent } from "gantry";

export const app = new App("model-class");

const image = Image.debianSlim({ node: "24" }).npmInstall("onnxruntime-node@1.20.1");
const weights = Volume.fromName("model-weights", { createIfMissing: true });

const CORPORA: Record<string, string> = {
  shakespeare: "to be or not to be that is the question to sleep perchance to dream",
  gantry: "gantry runs your functions on your own cloud and your own gpus at your own pace",
};

@app.cls({ image, gpu: "A10G", volumes: { "/models": weights }, maxContainers: 2, scaledownWindow: 120 })
@concurrent({ maxInputs: 4 })
export class TextModel {
  corpus = parameter<string>();
  temperature = parameter({ default: 0 });
  private next = new Map<string, string>();

  @enter()
  load() {
    const words = (CORPORA[this.corpus] ?? "").split(" ");
    for (let i = 0; i + 1 < words.length; i++) if (!this.next.has(words[i])) this.next.set(words[i], words[i + 1]);
  }

  @method()
  async generate(prompt: string, length = 5): Promise<string> {
    const out = prompt.split(" ");
    for (let i = 0; i < length; i++) {
      const word = this.next.get(out[out.length - 1]);
      if (!word) break;
      out.push(word);
    }
    return out.join(" ");
  }
}

// A variant found by the synthesizer: its own pool with a bigger GPU.
export const bigModel = Cls.of(TextModel).withOptions({ gpu: "H100" });

// The same class looked up by name, as Modal's guide writes it: the name resolves to TextModel of
// this app, so this variant gets its own pool too (more inputs per container).
const ModelByName = Cls.fromName<TextModel>("model-class", "TextModel");
export const busyModel = ModelByName.withConcurrency({ maxInputs: 8 });

// Modal's `@concurrent` on a function: one container takes up to 8 prompts at once.
export const tokenize = app.function({ concurrency: { maxInputs: 8 } }, async (text: string) => text.split(" ").length);

// A staging override, as Modal's `fn.with_options(...)`: the same code in its own, smaller pool.
export const tokenizeStaging = tokenize.withOptions({ maxContainers: 1 });

export const main = app.localEntrypoint(async () => {
  const bard = Cls.of(TextModel).instance({ corpus: "shakespeare" });
  const docs = Cls.of(TextModel).instance({ corpus: "gantry", temperature: 1 });
  console.log(await bard.generate.remote("to"));
  console.log(await docs.generate.remote("your", 3));
  console.log(await bigModel.instance({ corpus: "shakespeare" }).generate.remote("question"));
  console.log(await busyModel.instance({ corpus: "gantry" }).generate.remote("own", 2));
  console.log(`words: ${(await tokenizeStaging.map(["to be", "or not to be"])).join(" ")}`);
});
