import { bundleApp } from "../provider/aws/bundle.ts";
console.log(await bundleApp(process.cwd(), ".gantry/bench-aws/app.ts", ".gantry/bench-aws/bundle", []));
