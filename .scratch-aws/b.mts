import { writeFileSync } from "node:fs";
import { bundleContainer } from "../tests/runtime/aws/fixtures/bundle.ts";
writeFileSync("/tmp/empty-app.ts", `import { App } from "gantry";\nexport const app = new App("conformance");\nexport const echo = app.function({}, async (x: unknown) => x);\n`);
console.log(await bundleContainer("/tmp/empty-app.ts", "/tmp/gantry-bundle-empty"));
