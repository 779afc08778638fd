// The real fabula-lsp, started the way the extension starts it (findServer + serverLaunch)
// and spoken to with the protocol library vscode-languageclient is built on
// (vscode-languageserver-protocol and its vscode-jsonrpc connection). A temporary
// copy of test/fixture is the project, so runs never write into the source tree.
//
// The binary: FABULA_LSP_PATH, else ../../target/debug/fabula-lsp. A missing binary fails
// this test (CI builds the server before `npm test`); it is never skipped.

import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type CodeLens,
  type Diagnostic,
  type Hover,
  type InitializeResult,
  type MessageConnection,
  type PublishDiagnosticsParams,
} from "vscode-languageserver-protocol/node";
import { findServer, isExecutableFile, serverLaunch, SERVER_PATH_ENV } from "../../src/discovery";
import { retryContentModified } from "../../src/host";
import {
  ClientCommand,
  Method,
  ServerCommand,
  type InitializationOptions,
  type LeaderboardResult,
  type ModelsResult,
  type ResultFilesResult,
  type RunResult,
} from "../../src/protocol";

const EXTENSION_ROOT = path.join(__dirname, "../..");
const DEFAULT_BINARY = path.join(EXTENSION_ROOT, "../../target/debug/fabula-lsp");
const FIXTURE = path.join(__dirname, "../fixture");
const BROKEN_TASK = "dataset/tasks/beat_interpolation/chasqui-road-back.yaml";
const VALID_TASK = "dataset/tasks/beat_interpolation/flood-year-climax.yaml";
const TIMEOUT_MS = 30_000;

/** The binary, found by the extension's own discovery with the test's default path. */
function serverBinary(): string {
  const explicit = process.env[SERVER_PATH_ENV]?.trim();
  const requested = explicit || DEFAULT_BINARY;
  const discovery = findServer({
    settingPath: "",
    env: { ...process.env, [SERVER_PATH_ENV]: requested },
    extensionPath: EXTENSION_ROOT,
    platform: process.platform,
    arch: process.arch,
    workspaceFolder: undefined,
    homeDir: os.homedir(),
    isExecutable: isExecutableFile,
  });
  if (!discovery.found) {
    const where = explicit
      ? discovery.problem
      : `there is no executable file at ${requested} (the default, ../../target/debug/fabula-lsp)`;
    assert.fail(
      `the integration test needs the fabula-lsp binary: ${where}. ` +
        "Build it from the repository root with `cargo build -p fabula-lsp`, " +
        `or set ${SERVER_PATH_ENV} to the binary.`,
    );
  }
  return discovery.path;
}

/** A temporary copy of the fixture project. */
function copyFixture(): string {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "fabula-vscode-")));
  fs.cpSync(FIXTURE, root, { recursive: true });
  return root;
}

function uriOf(root: string, relative: string): string {
  return pathToFileURL(path.join(root, relative)).href;
}

/** One server process and its connection, with everything it published. */
class Session {
  readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
  readonly notifications: { method: string; params: unknown }[] = [];
  initializeResult: InitializeResult | undefined;
  private stderr = "";
  private readonly listeners = new Set<() => void>();

  private constructor(
    readonly root: string,
    private readonly child: ChildProcessWithoutNullStreams,
    readonly connection: MessageConnection,
  ) {}

  static async start(root: string, options: InitializationOptions): Promise<Session> {
    const launch = serverLaunch(serverBinary(), process.env);
    const child = spawn(launch.command, launch.args, { env: launch.env, stdio: "pipe" });
    const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    const session = new Session(root, child, connection);
    child.stderr.on("data", (chunk: Buffer) => {
      session.stderr += chunk.toString("utf8");
    });
    connection.onNotification((method: string, params: unknown) => {
      session.notifications.push({ method, params });
      if (method === "textDocument/publishDiagnostics") {
        const published = params as PublishDiagnosticsParams;
        session.diagnostics.set(published.uri, published);
      }
      for (const listener of session.listeners) {
        listener();
      }
    });
    // Server-to-client requests: progress tokens, configuration, registrations.
    connection.onRequest((method: string, params: unknown) => {
      if (method === "workspace/configuration") {
        return ((params as { items: unknown[] }).items ?? []).map(() => null);
      }
      return null;
    });
    connection.listen();
    session.initializeResult = await connection.sendRequest<InitializeResult>("initialize", {
      processId: process.pid,
      rootUri: pathToFileURL(root).href,
      workspaceFolders: [{ uri: pathToFileURL(root).href, name: path.basename(root) }],
      capabilities: {
        general: { positionEncodings: ["utf-16"] },
        window: { workDoneProgress: true, showMessage: {} },
        textDocument: {
          synchronization: { dynamicRegistration: false },
          publishDiagnostics: { relatedInformation: true, versionSupport: true },
          hover: { contentFormat: ["markdown", "plaintext"] },
          codeLens: {},
        },
        workspace: { workspaceFolders: true, configuration: true },
      },
      initializationOptions: options,
    });
    await connection.sendNotification("initialized", {});
    return session;
  }

  /** Resolves with the first diagnostics for `uri` that satisfy `accept`. */
  waitForDiagnostics(uri: string, accept: (published: PublishDiagnosticsParams) => boolean): Promise<PublishDiagnosticsParams> {
    return this.waitFor(`diagnostics for ${uri}`, () => {
      const published = this.diagnostics.get(uri);
      return published !== undefined && accept(published) ? published : undefined;
    });
  }

  async open(relative: string, version: number): Promise<string> {
    const uri = uriOf(this.root, relative);
    const text = fs.readFileSync(path.join(this.root, relative), "utf8");
    await this.connection.sendNotification("textDocument/didOpen", {
      textDocument: { uri, languageId: "yaml", version, text },
    });
    return uri;
  }

  async close(): Promise<void> {
    try {
      await withTimeout("shutdown", this.connection.sendRequest("shutdown"));
      await this.connection.sendNotification("exit");
    } finally {
      this.connection.dispose();
      if (this.child.exitCode === null) {
        this.child.kill();
      }
      fs.rmSync(this.root, { recursive: true, force: true });
    }
  }

  /** The server's log, for failure messages. */
  log(): string {
    return this.stderr.length > 4000 ? `…${this.stderr.slice(-4000)}` : this.stderr;
  }

  private waitFor<T>(what: string, probe: () => T | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const value = probe();
        if (value !== undefined) {
          clearTimeout(timer);
          this.listeners.delete(check);
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`timed out after ${TIMEOUT_MS} ms waiting for ${what}; server log:\n${this.log()}`));
      }, TIMEOUT_MS);
      this.listeners.add(check);
      check();
    });
  }
}

function withTimeout<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function codes(diagnostics: Diagnostic[]): string[] {
  return diagnostics.map((diagnostic) => String(diagnostic.code));
}

function hoverText(hover: Hover | null): string {
  if (hover === null) {
    return "";
  }
  const parts = Array.isArray(hover.contents) ? hover.contents : [hover.contents];
  return parts.map((part) => (typeof part === "string" ? part : part.value)).join("\n");
}

/** Line and character of the first occurrence of `needle` in the file. */
function positionOf(root: string, relative: string, needle: string): { line: number; character: number } {
  const lines = fs.readFileSync(path.join(root, relative), "utf8").split("\n");
  const line = lines.findIndex((text) => text.includes(needle));
  assert.ok(line >= 0, `${needle} is in ${relative}`);
  return { line, character: lines[line].indexOf(needle) };
}

// First, on its own, so that a missing binary is one clear failing test.
test("the fabula-lsp binary is there", () => {
  assert.ok(path.isAbsolute(serverBinary()));
});

describe("fabula-lsp, untrusted workspace", () => {
  let session: Session;

  before(async () => {
    session = await Session.start(copyFixture(), { inlineScores: true, trusted: false });
  });

  after(async () => {
    await session?.close();
  });

  test("a misspelt beat is an unknown-beat diagnostic from source fabula, on its line", async () => {
    const uri = await session.open(BROKEN_TASK, 1);
    const published = await session.waitForDiagnostics(uri, (p) => codes(p.diagnostics).includes("unknown-beat"));
    const diagnostic = published.diagnostics.find((d) => d.code === "unknown-beat");
    assert.ok(diagnostic);
    assert.equal(diagnostic.source, "fabula");
    assert.equal(diagnostic.range.start.line, positionOf(session.root, BROKEN_TASK, "road_bakc").line);
    assert.match(diagnostic.message, /road_bakc/);
  });

  test("fixing the beat in the editor clears the diagnostic, for that version", async () => {
    const uri = uriOf(session.root, BROKEN_TASK);
    const text = fs.readFileSync(path.join(session.root, BROKEN_TASK), "utf8").replace("road_bakc", "road_back");
    await session.connection.sendNotification("textDocument/didChange", {
      textDocument: { uri, version: 2 },
      contentChanges: [{ text }],
    });
    const published = await session.waitForDiagnostics(uri, (p) => p.version === 2);
    assert.deepEqual(codes(published.diagnostics).filter((code) => code === "unknown-beat"), []);
  });

  test("the valid task has no diagnostics", async () => {
    const uri = await session.open(VALID_TASK, 1);
    const published = await session.waitForDiagnostics(uri, (p) => p.version === 1 || p.version === undefined);
    assert.deepEqual(codes(published.diagnostics), []);
  });

  test("hover on the task id", async () => {
    const uri = uriOf(session.root, VALID_TASK);
    const position = positionOf(session.root, VALID_TASK, "flood-year-climax");
    const hover = await withTimeout(
      "hover",
      session.connection.sendRequest<Hover | null>("textDocument/hover", {
        textDocument: { uri },
        position: { line: position.line, character: position.character + 2 },
      }),
    );
    assert.ok(hoverText(hover).trim().length > 0, "the hover has text");
  });

  test("the code lens runs the client command fabula.runTask with { uri, task }", async () => {
    const uri = uriOf(session.root, VALID_TASK);
    const lenses = await withTimeout(
      "codeLens",
      session.connection.sendRequest<CodeLens[] | null>("textDocument/codeLens", { textDocument: { uri } }),
    );
    const run = (lenses ?? []).find((lens) => lens.command?.command === ClientCommand.runTask);
    assert.ok(run?.command, "a ▶ Run lens");
    assert.match(run.command.title, /Run/);
    assert.deepEqual(run.command.arguments, [{ uri, task: "flood-year-climax" }]);
  });

  test("fabula/models lists the simulated writers", async () => {
    const result = await withTimeout("fabula/models", session.connection.sendRequest<ModelsResult>(Method.models, {}));
    const writer = result.models.find((model) => model.name === "sim-writer-a");
    assert.deepEqual(writer, { name: "sim-writer-a", provider: "sim", enabled: true, simulated: true });
    assert.deepEqual(result.judges, ["sim-judge-1", "sim-judge-2", "sim-judge-3"]);
  });

  test("the server offers its commands, which the extension therefore must not register", () => {
    const offered = session.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
    assert.deepEqual([...offered].sort(), Object.values(ServerCommand).sort());
  });

  test("a run is refused while the workspace is untrusted", async () => {
    const uri = uriOf(session.root, VALID_TASK);
    await assert.rejects(
      withTimeout(
        ServerCommand.run,
        session.connection.sendRequest("workspace/executeCommand", {
          command: ServerCommand.run,
          arguments: [{ uri, task: "flood-year-climax", model: "sim-writer-a" }],
        }),
      ),
      (error: Error) => /trust/i.test(error.message),
    );
  });
});

describe("fabula-lsp, trusted workspace", () => {
  let session: Session;

  before(async () => {
    session = await Session.start(copyFixture(), { inlineScores: true, trusted: true });
  });

  after(async () => {
    await session?.close();
  });

  test("the project is diagnosed on start, open or not", async () => {
    // Also the sign that the project is loaded: a request before that sees no fabula.yaml.
    const published = await session.waitForDiagnostics(uriOf(session.root, BROKEN_TASK), (p) =>
      codes(p.diagnostics).includes("unknown-beat"),
    );
    assert.ok(published.diagnostics.every((d) => d.source === "fabula"));
  });

  test("fabula.server.run with a simulated model writes results the other requests see", async () => {
    const uri = uriOf(session.root, VALID_TASK);
    // Right after `initialized` the server is still loading the project and may answer
    // ContentModified; the extension retries those, and so does this test, with the same helper.
    const result = await withTimeout(
      ServerCommand.run,
      retryContentModified(() =>
        session.connection.sendRequest<RunResult>("workspace/executeCommand", {
          command: ServerCommand.run,
          arguments: [{ uri, task: "flood-year-climax", model: "sim-writer-a" }],
        }),
      ),
    );
    assert.equal(result.task, "flood-year-climax");
    assert.equal(result.model, "sim-writer-a");
    assert.equal(typeof result.final, "number");
    assert.ok(result.files.length > 0, "the run wrote result files");
    for (const file of result.files) {
      assert.ok(path.isAbsolute(file) && fs.existsSync(file), `${file} exists`);
    }

    const files = await withTimeout(
      Method.resultFiles,
      session.connection.sendRequest<ResultFilesResult>(Method.resultFiles, { task: "flood-year-climax" }),
    );
    assert.ok(files.files.length > 0);

    const board = await withTimeout(
      Method.leaderboard,
      session.connection.sendRequest<LeaderboardResult>(Method.leaderboard, {}),
    );
    assert.match(board.markdown, /sim-writer-a/);

    const runs = session.notifications.filter((n) => n.method === Method.runs).map((n) => n.params);
    assert.ok(runs.length >= 1, "fabula/runs announced the run");
  });

  test("checkWorkspace counts the fixture's files", async () => {
    const summary = await withTimeout(
      ServerCommand.checkWorkspace,
      session.connection.sendRequest<{ files: number; errors: number; warnings: number }>("workspace/executeCommand", {
        command: ServerCommand.checkWorkspace,
        arguments: [],
      }),
    );
    assert.ok(summary.files >= 8, `files: ${summary.files}`);
    assert.ok(summary.errors >= 1, "the broken task counts as an error");
  });
});
