// Server discovery: setting, then FABULA_LSP_PATH, then the bundled binary, then PATH.

import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, test } from "node:test";
import {
  bundledServerPath,
  findServer,
  JEMALLOC_OPTIONS,
  serverBinaryName,
  serverLaunch,
  SERVER_PATH_ENV,
  type DiscoveryInput,
} from "../../src/discovery";

const EXTENSION = "/ext/fabula-0.1.0";
const WORKSPACE = "/home/ana/bench";
const BUNDLED = "/ext/fabula-0.1.0/server/linux-x64/fabula-lsp";

function input(executables: string[], overrides: Partial<DiscoveryInput> = {}): DiscoveryInput {
  const present = new Set(executables);
  return {
    settingPath: "",
    env: { PATH: "/usr/local/bin:/usr/bin" },
    extensionPath: EXTENSION,
    platform: "linux",
    arch: "x64",
    workspaceFolder: WORKSPACE,
    homeDir: "/home/ana",
    isExecutable: (file) => present.has(file),
    ...overrides,
  };
}

const ALL = ["/opt/setting/fabula-lsp", "/opt/env/fabula-lsp", BUNDLED, "/usr/bin/fabula-lsp"];

describe("findServer", () => {
  test("the setting wins over everything else", () => {
    const found = findServer(
      input(ALL, { settingPath: "/opt/setting/fabula-lsp", env: { PATH: "/usr/bin", [SERVER_PATH_ENV]: "/opt/env/fabula-lsp" } }),
    );
    assert.deepEqual(found, { found: true, path: "/opt/setting/fabula-lsp", source: "setting" });
  });

  test("then the environment variable", () => {
    const found = findServer(input(ALL, { env: { PATH: "/usr/bin", [SERVER_PATH_ENV]: "/opt/env/fabula-lsp" } }));
    assert.deepEqual(found, { found: true, path: "/opt/env/fabula-lsp", source: "environment" });
  });

  test("then the binary bundled for this platform", () => {
    const found = findServer(input(ALL));
    assert.deepEqual(found, { found: true, path: BUNDLED, source: "bundled" });
  });

  test("then PATH, in PATH order", () => {
    const found = findServer(input(["/usr/bin/fabula-lsp", "/usr/local/bin/fabula-lsp"]));
    assert.deepEqual(found, { found: true, path: "/usr/local/bin/fabula-lsp", source: "path" });
  });

  test("a setting that names a missing file is an error, not a fallback", () => {
    const found = findServer(input(ALL, { settingPath: "/nowhere/fabula-lsp" }));
    assert.equal(found.found, false);
    if (!found.found) {
      assert.match(found.problem, /fabula\.server\.path.*\/nowhere\/fabula-lsp/);
      assert.match(found.fix, /fabula\.server\.path/);
    }
  });

  test("a variable that names a missing file is an error, not a fallback", () => {
    const found = findServer(input(ALL, { env: { PATH: "/usr/bin", [SERVER_PATH_ENV]: "/nowhere/fabula-lsp" } }));
    assert.equal(found.found, false);
    if (!found.found) {
      assert.match(found.problem, new RegExp(`${SERVER_PATH_ENV}.*/nowhere/fabula-lsp`));
    }
  });

  test("an empty setting or variable counts as unset", () => {
    const found = findServer(input([BUNDLED], { settingPath: "  ", env: { [SERVER_PATH_ENV]: "" } }));
    assert.deepEqual(found, { found: true, path: BUNDLED, source: "bundled" });
  });

  test("a relative setting is resolved against the workspace folder, ~ against home", () => {
    const relative = findServer(input([`${WORKSPACE}/target/debug/fabula-lsp`], { settingPath: "target/debug/fabula-lsp" }));
    assert.deepEqual(relative, { found: true, path: `${WORKSPACE}/target/debug/fabula-lsp`, source: "setting" });
    const home = findServer(input(["/home/ana/.cargo/bin/fabula-lsp"], { settingPath: "~/.cargo/bin/fabula-lsp" }));
    assert.deepEqual(home, { found: true, path: "/home/ana/.cargo/bin/fabula-lsp", source: "setting" });
    const variable = findServer(input([`${WORKSPACE}/bin/fabula-lsp`], { settingPath: "${workspaceFolder}/bin/fabula-lsp" }));
    assert.deepEqual(variable, { found: true, path: `${WORKSPACE}/bin/fabula-lsp`, source: "setting" });
  });

  test("nothing found: says what, how to fix it, and where it looked", () => {
    const found = findServer(input([]));
    assert.equal(found.found, false);
    if (!found.found) {
      assert.match(found.problem, /could not find the language server fabula-lsp/);
      assert.match(found.fix, /cargo build -p fabula-lsp/);
      assert.match(found.fix, /fabula\.server\.path/);
      assert.deepEqual(found.tried, [BUNDLED, "/usr/local/bin/fabula-lsp", "/usr/bin/fabula-lsp"]);
    }
  });

  test("platform-specific names and folders", () => {
    assert.equal(serverBinaryName("win32"), "fabula-lsp.exe");
    assert.equal(serverBinaryName("darwin"), "fabula-lsp");
    assert.equal(bundledServerPath("/ext", "darwin", "arm64"), path.join("/ext", "server", "darwin-arm64", "fabula-lsp"));
  });
});

describe("serverLaunch", () => {
  test("runs the binary with no arguments and the editor's environment", () => {
    const launch = serverLaunch("/bin/fabula-lsp", { OPENROUTER_API_KEY: "k", FABULA_LOG: "debug" });
    assert.equal(launch.command, "/bin/fabula-lsp");
    assert.deepEqual(launch.args, []);
    assert.equal(launch.env.OPENROUTER_API_KEY, "k");
    assert.equal(launch.env.FABULA_LOG, "debug");
    assert.equal(launch.env.RUST_BACKTRACE, "1");
    assert.equal(launch.env._RJEM_MALLOC_CONF, JEMALLOC_OPTIONS);
  });

  test("keeps the user's RUST_BACKTRACE and does not change the base environment", () => {
    const base = { RUST_BACKTRACE: "0", _RJEM_MALLOC_CONF: "narenas:2" };
    assert.equal(serverLaunch("/bin/fabula-lsp", base).env.RUST_BACKTRACE, "0");
    assert.equal(serverLaunch("/bin/fabula-lsp", base).env._RJEM_MALLOC_CONF, "narenas:2");
    const empty: NodeJS.ProcessEnv = {};
    serverLaunch("/bin/fabula-lsp", empty);
    assert.deepEqual(empty, {});
  });
});
