// The packaged extension (`npm run package` → fabula.vsix): its manifest and its contents.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, test } from "node:test";
import { ClientCommand } from "../../src/protocol";
import { readZip } from "./zip";

const ROOT = path.join(__dirname, "../..");
const VSIX = path.join(ROOT, "fabula.vsix");

interface Manifest {
  name: string;
  publisher: string;
  main: string;
  engines: { vscode: string };
  activationEvents: string[];
  capabilities: {
    untrustedWorkspaces: { supported: string | boolean; description?: string; restrictedConfigurations?: string[] };
  };
  contributes: {
    commands: { command: string; title: string }[];
    configuration: { properties: Record<string, { description?: string; markdownDescription?: string; default?: unknown }> };
  };
  dependencies?: Record<string, string>;
}

describe("fabula.vsix", () => {
  let entries: Map<string, Buffer>;
  let manifest: Manifest;

  before(() => {
    assert.ok(fs.existsSync(VSIX), `${VSIX} is missing: run \`npm run package\` first`);
    entries = readZip(fs.readFileSync(VSIX));
    const packaged = entries.get("extension/package.json");
    assert.ok(packaged, "extension/package.json is in the vsix");
    manifest = JSON.parse(packaged.toString("utf8")) as Manifest;
  });

  test("the manifest activates on Fabula projects and points at the bundle", () => {
    assert.deepEqual(manifest.activationEvents, ["workspaceContains:fabula.yaml", "workspaceContains:dataset/**/*.yaml"]);
    assert.equal(manifest.main, "./dist/extension.js");
    assert.ok(entries.has("extension/dist/extension.js"), "the bundle is packaged");
    assert.match(manifest.engines.vscode, /^\^1\.\d+\.\d+$/);
  });

  test("it contributes every client command and no server command", () => {
    const commands = manifest.contributes.commands.map((entry) => entry.command).sort();
    assert.deepEqual(commands, Object.values(ClientCommand).sort());
    for (const entry of manifest.contributes.commands) {
      assert.ok(entry.title.length > 0, `${entry.command} has a title`);
    }
  });

  test("it contributes the settings, each with a description", () => {
    const properties = manifest.contributes.configuration.properties;
    assert.deepEqual(Object.keys(properties).sort(), [
      "fabula.inlineScores",
      "fabula.rater",
      "fabula.run.defaultModels",
      "fabula.server.path",
      "fabula.trace.server",
    ]);
    for (const [key, property] of Object.entries(properties)) {
      assert.ok((property.description ?? property.markdownDescription ?? "").length > 20, `${key} is described`);
    }
  });

  test("it supports untrusted workspaces in a limited way, and says how", () => {
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, "limited");
    assert.match(manifest.capabilities.untrustedWorkspaces.description ?? "", /run/);
    // A workspace it does not trust must not choose which program VS Code starts.
    assert.deepEqual(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations, ["fabula.server.path"]);
  });

  test("it does not contribute yamlValidation (that would duplicate diagnostics)", () => {
    assert.equal((manifest.contributes as Record<string, unknown>).yamlValidation, undefined);
  });

  test("it holds the bundle, the manifest, README and LICENSE, and no sources or node_modules", () => {
    const names = [...entries.keys()];
    assert.ok(names.some((name) => name.toLowerCase() === "extension/readme.md"), "README is packaged");
    assert.ok(names.some((name) => /^extension\/LICENSE(\.txt|\.md)?$/.test(name)));
    const offending = names.filter(
      (name) =>
        name.includes("node_modules/") ||
        name.startsWith("extension/src/") ||
        name.startsWith("extension/test/") ||
        (name.startsWith("extension/e2e/") && name !== "extension/e2e/screenshot.png") ||
        /\.ts$/.test(name) ||
        /\.map$/.test(name),
    );
    assert.deepEqual(offending, []);
  });

  test("the bundle carries the language client inside it", () => {
    const bundle = entries.get("extension/dist/extension.js")?.toString("utf8") ?? "";
    assert.doesNotMatch(bundle, /require\(["']vscode-languageclient/);
    assert.match(bundle, /require\(["']vscode["']\)/, "vscode stays external");
    assert.match(bundle, /fabula\/models/);
  });
});
