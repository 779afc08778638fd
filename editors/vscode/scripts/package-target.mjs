// Packages a platform-specific .vsix that carries the server binary:
//   node scripts/package-target.mjs <vsce target> <path to fabula-lsp>
//   e.g. node scripts/package-target.mjs linux-x64 ../../target/dist/fabula-lsp
// The binary goes to server/<platform>-<arch>/, the folder the extension looks in at run
// time (process.platform-process.arch), then `vsce package --target` writes
// fabula-<target>.vsix.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const [target, binary] = process.argv.slice(2);
if (target === undefined || binary === undefined) {
  console.error("usage: node scripts/package-target.mjs <target> <path to fabula-lsp>");
  process.exit(2);
}

// vsce target → Node's `${process.platform}-${process.arch}` on that platform.
const FOLDERS = {
  "win32-x64": "win32-x64",
  "win32-arm64": "win32-arm64",
  "linux-x64": "linux-x64",
  "linux-arm64": "linux-arm64",
  "linux-armhf": "linux-arm",
  "alpine-x64": "linux-x64",
  "alpine-arm64": "linux-arm64",
  "darwin-x64": "darwin-x64",
  "darwin-arm64": "darwin-arm64",
};
const folder = FOLDERS[target];
if (folder === undefined) {
  console.error(`unknown target ${target}; one of: ${Object.keys(FOLDERS).join(", ")}`);
  process.exit(2);
}
const name = target.startsWith("win32-") ? "fabula-lsp.exe" : "fabula-lsp";
if (!fs.statSync(binary, { throwIfNoEntry: false })?.isFile()) {
  console.error(`no server binary at ${binary}; build it with \`cargo build --profile dist -p fabula-lsp\``);
  process.exit(2);
}

fs.rmSync("server", { recursive: true, force: true });
fs.mkdirSync(path.join("server", folder), { recursive: true });
const destination = path.join("server", folder, name);
fs.copyFileSync(binary, destination);
fs.chmodSync(destination, 0o755);

const vsce = path.join("node_modules", ".bin", process.platform === "win32" ? "vsce.cmd" : "vsce");
try {
  execFileSync(vsce, ["package", "--no-dependencies", "--no-rewrite-relative-links", "--target", target, "--out", `fabula-${target}.vsix`], {
    stdio: "inherit",
  });
} finally {
  // The binary belongs in that one package only, never in the plain one.
  fs.rmSync("server", { recursive: true, force: true });
}
