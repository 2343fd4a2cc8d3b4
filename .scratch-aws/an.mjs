import { readFileSync, readdirSync } from "node:fs";
const f = readdirSync("/tmp/prof")[0];
const p = JSON.parse(readFileSync("/tmp/prof/" + f));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = p.timeDeltas; 
for (let i = 0; i < p.samples.length; i++) { const n = byId.get(p.samples[i]); const k = `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.split("/").pop()}:${n.callFrame.lineNumber}`; self.set(k, (self.get(k) ?? 0) + (dt[i] ?? 0)); }
const total = dt.reduce((a, b) => a + b, 0);
console.log("total ms", (total / 1000).toFixed(1));
// by url
const byUrl = new Map();
for (let i = 0; i < p.samples.length; i++) { const n = byId.get(p.samples[i]); const k = n.callFrame.url.split("/").pop() || n.callFrame.functionName; byUrl.set(k, (byUrl.get(k) ?? 0) + (dt[i] ?? 0)); }
console.log([...byUrl].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `${(v / 1000).toFixed(1)}ms ${k}`).join("\n"));
console.log("---");
console.log([...self].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([k, v]) => `${(v / 1000).toFixed(1)}ms ${k}`).join("\n"));
