// Bundles the extension into one CommonJS file, dist/extension.js (`vscode` stays external:
// VS Code provides it). `--production` minifies and drops the source map.
import * as fs from "node:fs";
import * as esbuild from "esbuild";

const production = process.argv.includes("--production");

fs.rmSync("dist", { recursive: true, force: true });

await esbuild.build({
  entryPoints: ["src/extension.ts"],
  bundle: true,
  outfile: "dist/extension.js",
  format: "cjs",
  platform: "node",
  target: "node18",
  external: ["vscode"],
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: "warning",
});
