/** What each example with a local entrypoint promises to print (its own output and its containers'), wherever its containers run. */
export const EXPECTED: Record<string, RegExp[]> = {
  hello: [/^7² = 49$/m, /^\[ 1, 4, 9, 16, 25 \]$/m],
  "model-class": [/^to be or not to be$/m, /^your functions on your$/m, /^question to be or not to$/m, /^own cloud and$/m, /^words: 2 4$/m],
  lifecycle: [/^count = 1$/m, /^count = 3$/m, /^count = 13$/m, /exit: counted to 13/],
  embeddings: [/skipping "  ": empty text/, /^gantry +\[/m, /^\[ 0\.999, 0\.\d+, 0\.\d+ \]$/m],
  volumes: [/wrote \/data\/reports\/daily.txt/, /line counts: \{ 'daily.txt': 3, 'weekly.txt': 1 \}/],
  schedules: [/^nightly report #1$/m, /^cleanup #1$/m, /runs so far: \{ nightly: 1, hourly: 1 \}/],
  "llm-inference": [/^\[mistral-7b\] briefly transformers Explain$/m, /summary of the quick brown fox: 4 words/],
};
