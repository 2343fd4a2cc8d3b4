// The policy pack's entry (package.json "main"). Pulumi's run-policy-pack loads a pack with
// `require(<pack dir>)` and awaits what it exports (node_modules/@pulumi/pulumi/cmd/run-policy-pack/
// run.js: `const reqResult = require(program); ... return await invokeResult;`), so a CommonJS
// file exporting the promise of the ES module that starts the pack works on every Node gantry
// supports. `gantry` is this folder's dependency: the published package once installed, this
// checkout through policy/node_modules/gantry (linked by scripts/build.mjs).
module.exports = import("gantry/policy-pack");
