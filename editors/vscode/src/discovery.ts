// Finding fabula-lsp and the command line that starts it. Plain Node, no `vscode`: the
// extension and the integration test call the same functions, so the test starts the
// server exactly the way the editor does.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The environment variable that overrides where the server binary is. */
export const SERVER_PATH_ENV = "FABULA_LSP_PATH";

/** Where the server was found, in the order the places are tried. */
export type ServerSource = "setting" | "environment" | "bundled" | "path";

export interface DiscoveryInput {
  /** `fabula.server.path`; empty when unset. */
  settingPath: string;
  env: NodeJS.ProcessEnv;
  /** The extension's install folder (holds `server/<platform>-<arch>/` when bundled). */
  extensionPath: string;
  platform: NodeJS.Platform;
  arch: string;
  /** The first workspace folder, against which a relative setting is resolved. */
  workspaceFolder: string | undefined;
  homeDir: string;
  isExecutable: (file: string) => boolean;
}

export type Discovery =
  | { found: true; path: string; source: ServerSource }
  | { found: false; problem: string; fix: string; tried: string[] };

/** How to start the server: one function for the extension and the tests. */
export interface ServerLaunch {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** The server's file name on `platform`. */
export function serverBinaryName(platform: NodeJS.Platform): string {
  return platform === "win32" ? "fabula-lsp.exe" : "fabula-lsp";
}

/** The binary a platform-specific package carries (`vsce package --target linux-x64`). */
export function bundledServerPath(extensionPath: string, platform: NodeJS.Platform, arch: string): string {
  return path.join(extensionPath, "server", `${platform}-${arch}`, serverBinaryName(platform));
}

/**
 * The server binary: the setting, then `FABULA_LSP_PATH`, then the bundled binary, then
 * `PATH`. A setting or variable that names a missing file is an error, not a reason to
 * fall back: the user asked for that file and should hear that it is not there.
 */
export function findServer(input: DiscoveryInput): Discovery {
  const tried: string[] = [];

  const setting = input.settingPath.trim();
  if (setting !== "") {
    const file = resolveUserPath(setting, input);
    if (input.isExecutable(file)) {
      return { found: true, path: file, source: "setting" };
    }
    return {
      found: false,
      problem: `the setting fabula.server.path is "${setting}", but there is no executable file at ${file}`,
      fix: "Correct fabula.server.path or clear it to let Fabula look elsewhere.",
      tried: [file],
    };
  }

  const fromEnv = input.env[SERVER_PATH_ENV]?.trim();
  if (fromEnv !== undefined && fromEnv !== "") {
    const file = resolveUserPath(fromEnv, input);
    if (input.isExecutable(file)) {
      return { found: true, path: file, source: "environment" };
    }
    return {
      found: false,
      problem: `${SERVER_PATH_ENV} is "${fromEnv}", but there is no executable file at ${file}`,
      fix: `Correct ${SERVER_PATH_ENV} or unset it, then restart VS Code.`,
      tried: [file],
    };
  }

  const bundled = bundledServerPath(input.extensionPath, input.platform, input.arch);
  tried.push(bundled);
  if (input.isExecutable(bundled)) {
    return { found: true, path: bundled, source: "bundled" };
  }

  const name = serverBinaryName(input.platform);
  for (const dir of searchPath(input.env, input.platform)) {
    const file = path.join(dir, name);
    tried.push(file);
    if (input.isExecutable(file)) {
      return { found: true, path: file, source: "path" };
    }
  }

  return {
    found: false,
    problem: `could not find the language server ${name}`,
    fix:
      "Build it with `cargo build -p fabula-lsp` (or install it with `cargo install --path server`) " +
      "and set fabula.server.path to the binary, or put it on PATH.",
    tried,
  };
}

/** jemalloc's options for the server (server/src/main.rs). */
export const JEMALLOC_OPTIONS = "narenas:1,dirty_decay_ms:0,muzzy_decay_ms:0,tcache:false";

/** The command line and environment that start the server over stdio. */
export function serverLaunch(serverPath: string, baseEnv: NodeJS.ProcessEnv): ServerLaunch {
  // Backtraces make a crash report in the output channel useful; the allocator's options
  // (jemalloc: one arena, freed pages returned at once, no per-thread caches) keep the
  // server's memory to what it holds: 34-38 MB peak on a 20,000-line file instead of 95
  // with jemalloc's defaults
  // (server/src/main.rs). The user can still choose otherwise.
  // Everything else (FABULA_LOG, API keys) passes through as is.
  const env: NodeJS.ProcessEnv = {
    ...baseEnv,
    RUST_BACKTRACE: baseEnv.RUST_BACKTRACE ?? "1",
    _RJEM_MALLOC_CONF: baseEnv._RJEM_MALLOC_CONF ?? JEMALLOC_OPTIONS,
  };
  return { command: serverPath, args: [], env };
}

/** The real file system check: a regular file we may execute. */
export function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) {
      return false;
    }
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Discovery input for this process, given what the editor knows. */
export function processDiscoveryInput(
  settingPath: string,
  extensionPath: string,
  workspaceFolder: string | undefined,
): DiscoveryInput {
  return {
    settingPath,
    env: process.env,
    extensionPath,
    platform: process.platform,
    arch: process.arch,
    workspaceFolder,
    homeDir: os.homedir(),
    isExecutable: isExecutableFile,
  };
}

function resolveUserPath(value: string, input: DiscoveryInput): string {
  let file = value;
  if (file === "~" || file.startsWith("~/")) {
    file = path.join(input.homeDir, file.slice(1));
  }
  if (file.includes("${workspaceFolder}") && input.workspaceFolder !== undefined) {
    file = file.split("${workspaceFolder}").join(input.workspaceFolder);
  }
  if (!path.isAbsolute(file) && input.workspaceFolder !== undefined) {
    file = path.join(input.workspaceFolder, file);
  }
  return path.normalize(file);
}

function searchPath(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[] {
  // Windows spells it `Path`; Node keeps the spelling of the real environment.
  const value = env.PATH ?? env.Path ?? "";
  const delimiter = platform === "win32" ? ";" : ":";
  return value.split(delimiter).filter((dir) => dir !== "");
}
