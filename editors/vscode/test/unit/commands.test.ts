// Command wiring: what each client command asks the server and what it shows.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeEach, describe, test } from "node:test";
import { commandHandlers, registerCommands, taskFromPath, type CommandContext } from "../../src/commands";
import {
  ClientCommand,
  Method,
  ServerCommand,
  type CompareResult,
  type ModelsResult,
  type RankingItemsResult,
  type RunResult,
} from "../../src/protocol";
import { FakeHost, FakeServer, FakeUri, ResponseError, settle } from "./stubs";

const TASK_FILE = "/bench/dataset/tasks/beat_interpolation/chasqui-road-back.yaml";
const TASK_URI = FakeUri.file(TASK_FILE).toString();
const MODELS: ModelsResult = {
  models: [
    { name: "sim-writer-a", provider: "sim", enabled: true, simulated: true },
    { name: "sim-writer-b", provider: "sim", enabled: true, simulated: true },
    { name: "claude-sonnet", provider: "openrouter", enabled: false, simulated: false },
  ],
  judges: ["sim-judge-1", "sim-judge-2", "sim-judge-3"],
  writers: ["sim-writer-a", "sim-writer-b"],
};

interface Harness {
  host: FakeHost;
  server: FakeServer;
  running: boolean;
  leaderboards: string[];
  rankings: RankingItemsResult[];
  reports: (string | undefined)[];
  comparisons: CompareResult[];
  logs: string[];
  restarts: number;
  outputShown: number;
  run(command: string, ...args: unknown[]): Promise<void>;
}

function harness(): Harness {
  const host = new FakeHost();
  const server = new FakeServer();
  server.answers.set(Method.models, () => MODELS);
  server.answers.set(ServerCommand.run, (args) => {
    const [params] = args as [{ task: string; model: string }];
    const result: RunResult = {
      task: params.task,
      model: params.model,
      final: 0.5,
      passed: true,
      files: [`/bench/results/${params.task}-${params.model}.json`],
      message: `${params.task} with ${params.model}: 0.50, passed`,
    };
    return result;
  });
  const h: Harness = {
    host,
    server,
    running: true,
    leaderboards: [],
    rankings: [],
    reports: [],
    comparisons: [],
    logs: [],
    restarts: 0,
    outputShown: 0,
    run: async (command, ...args) => {
      const handler = host.registered.get(command);
      assert.ok(handler, `${command} is registered`);
      await handler(...args);
    },
  };
  const cx: CommandContext = {
    host,
    server: () => (h.running ? server : undefined),
    restartServer: () => {
      h.restarts += 1;
      return Promise.resolve();
    },
    showOutput: () => {
      h.outputShown += 1;
    },
    showLeaderboard: (markdown) => {
      h.leaderboards.push(markdown);
      return Promise.resolve();
    },
    showRanking: (view) => {
      h.rankings.push(view);
    },
    showReport: (task) => {
      h.reports.push(task);
      return Promise.resolve();
    },
    showComparison: (result) => {
      h.comparisons.push(result);
    },
    log: (line) => h.logs.push(line),
  };
  registerCommands(cx, commandHandlers(cx));
  return h;
}

function runCalls(server: FakeServer): unknown[] {
  return server.sent.filter((call) => call.method === ServerCommand.run).map((call) => call.args);
}

describe("registration", () => {
  test("registers exactly the commands package.json contributes", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, "../../package.json"), "utf8")) as {
      contributes: { commands: { command: string }[] };
    };
    const contributed = manifest.contributes.commands.map((entry) => entry.command).sort();
    const { host } = harness();
    assert.deepEqual([...host.registered.keys()].sort(), contributed);
    assert.deepEqual(Object.values(ClientCommand).sort(), contributed);
  });

  test("never registers the server's fabula.server.* commands (the language client does)", () => {
    const { host } = harness();
    const manifest = fs.readFileSync(path.join(__dirname, "../../package.json"), "utf8");
    assert.equal([...host.registered.keys()].filter((id) => id.startsWith("fabula.server.")).length, 0);
    assert.doesNotMatch(manifest, /"command": "fabula\.server\./);
  });

  test("a failing command reports its error instead of throwing", async () => {
    const h = harness();
    h.server.answers.set(Method.leaderboard, () => {
      throw new Error("results/ is unreadable");
    });
    await h.run(ClientCommand.showLeaderboard);
    assert.deepEqual(h.host.messages(), ["Fabula: results/ is unreadable"]);
  });
});

describe("fabula.runTask", () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });

  test("code lens arguments → model picker fed by fabula/models → fabula.server.run", async () => {
    h.host.pick = (items) => items.find((item) => item.label === "sim-writer-b");
    await h.run(ClientCommand.runTask, { uri: TASK_URI, task: "chasqui-road-back" });
    assert.deepEqual(h.server.methods(), [Method.models, ServerCommand.run]);
    assert.deepEqual(runCalls(h.server), [[{ uri: TASK_URI, task: "chasqui-road-back", model: "sim-writer-b" }]]);
    const [pick] = h.host.callsOf("showQuickPick");
    const labels = (pick.args[0] as { label: string }[]).map((item) => item.label);
    assert.deepEqual(labels, ["sim-writer-a", "sim-writer-b", "All enabled models"], "only enabled models");
    assert.deepEqual(h.host.messages(), ["Fabula: chasqui-road-back with sim-writer-b: 0.50, passed"]);
  });

  test("'All enabled models' runs each of them", async () => {
    h.host.pick = (items) => items[items.length - 1];
    await h.run(ClientCommand.runTask, { uri: TASK_URI, task: "chasqui-road-back" });
    assert.deepEqual(
      runCalls(h.server).map((args) => (args as [{ model: string }])[0].model),
      ["sim-writer-a", "sim-writer-b"],
    );
  });

  test("fabula.run.defaultModels skips the picker and the models request", async () => {
    h.host.settings.set("fabula.run.defaultModels", ["sim-writer-a"]);
    await h.run(ClientCommand.runTask, { uri: TASK_URI, task: "chasqui-road-back" });
    assert.equal(h.host.callsOf("showQuickPick").length, 0);
    assert.deepEqual(h.server.methods(), [ServerCommand.run]);
  });

  test("a dismissed picker runs nothing", async () => {
    await h.run(ClientCommand.runTask, { uri: TASK_URI, task: "chasqui-road-back" });
    assert.deepEqual(h.server.methods(), [Method.models]);
  });

  test("without arguments, the server's code lens at or above the cursor names the task", async () => {
    h.host.settings.set("fabula.run.defaultModels", ["sim-writer-a"]);
    h.host.editor(TASK_FILE, 7);
    h.host.codeLenses = [
      { range: { start: { line: 1 } }, command: { command: "fabula.runTask", arguments: [{ uri: TASK_URI, task: "first" }] } },
      { range: { start: { line: 5 } }, command: { command: "fabula.runTask", arguments: [{ uri: TASK_URI, task: "second" }] } },
      { range: { start: { line: 9 } }, command: { command: "fabula.runTask", arguments: [{ uri: TASK_URI, task: "third" }] } },
      { range: { start: { line: 6 } }, command: { command: "other.extension", arguments: [{ uri: TASK_URI, task: "nope" }] } },
    ];
    await h.run(ClientCommand.runTask);
    assert.deepEqual(runCalls(h.server), [[{ uri: TASK_URI, task: "second", model: "sim-writer-a" }]]);
    const [lensRequest] = h.host.callsOf("executeCommand:vscode.executeCodeLensProvider");
    assert.equal((lensRequest.args[0] as FakeUri).fsPath, TASK_FILE);
  });

  test("without a code lens (inline scores off), the task file's path names the task", async () => {
    h.host.settings.set("fabula.run.defaultModels", ["sim-writer-a"]);
    h.host.editor(TASK_FILE, 0);
    await h.run(ClientCommand.runTask);
    assert.deepEqual(runCalls(h.server), [[{ uri: TASK_URI, task: "chasqui-road-back", model: "sim-writer-a" }]]);
  });

  test("outside a task file it says where tasks live", async () => {
    h.host.editor("/bench/fabula.yaml", 0);
    await h.run(ClientCommand.runTask);
    assert.deepEqual(h.server.methods(), []);
    assert.match(h.host.messages()[0], /no task in this file/);
  });

  test("with no editor open it asks for a task file", async () => {
    await h.run(ClientCommand.runTask);
    assert.match(h.host.messages()[0], /open a task file/);
  });

  test("a server error is logged, not shown twice (the server shows it itself)", async () => {
    h.host.settings.set("fabula.run.defaultModels", ["claude-sonnet"]);
    h.server.answers.set(ServerCommand.run, () => {
      throw new ResponseError(-32603, "set OPENROUTER_API_KEY in the environment or in /bench/.env");
    });
    await h.run(ClientCommand.runTask, { uri: TASK_URI, task: "chasqui-road-back" });
    assert.deepEqual(h.host.messages(), []);
    assert.ok(h.logs.some((line) => line.includes("OPENROUTER_API_KEY")));
  });

  test("a cancelled run stops the remaining ones", async () => {
    h.host.settings.set("fabula.run.defaultModels", ["sim-writer-a", "sim-writer-b"]);
    h.server.answers.set(ServerCommand.run, () => {
      throw new ResponseError(-32800, "cancelled");
    });
    await h.run(ClientCommand.runTask, { uri: TASK_URI, task: "chasqui-road-back" });
    assert.equal(runCalls(h.server).length, 1);
    assert.deepEqual(h.host.messages(), []);
  });

  test("'Open Results' after a run opens the files the run wrote", async () => {
    h.host.settings.set("fabula.run.defaultModels", ["sim-writer-a"]);
    h.host.answer = (_message, items) => (items.includes("Open Results") ? "Open Results" : undefined);
    await h.run(ClientCommand.runTask, { uri: TASK_URI, task: "chasqui-road-back" });
    assert.deepEqual(
      h.host.callsOf("showTextDocument").map((call) => call.args[0]),
      ["/bench/results/chasqui-road-back-sim-writer-a.json"],
    );
  });

  test("when the server is not running it says so and offers a restart", async () => {
    h.running = false;
    h.host.answer = () => "Restart Server";
    await h.run(ClientCommand.runTask, { uri: TASK_URI, task: "chasqui-road-back" });
    await settle();
    assert.match(h.host.messages()[0], /language server is not running/);
    assert.equal(h.restarts, 1);
  });
});

describe("workspace trust", () => {
  test("runs are refused in an untrusted workspace, with a way to trust it", async () => {
    const h = harness();
    h.host.isTrusted = false;
    h.host.answer = (_message, items) => items[0];
    await h.run(ClientCommand.runTask, { uri: TASK_URI, task: "chasqui-road-back" });
    await h.run(ClientCommand.runFile, { uri: TASK_URI, task: "chasqui-road-back" });
    assert.deepEqual(h.server.methods(), [], "nothing reaches the server");
    const warnings = h.host.callsOf("showWarningMessage");
    assert.equal(warnings.length, 2);
    assert.match(String(warnings[0].args[0]), /untrusted workspace/);
    assert.equal(warnings[0].args[1], "Manage Workspace Trust");
    assert.equal(h.host.callsOf("executeCommand:workbench.trust.manage").length, 2);
  });

  test("reading commands still work untrusted", async () => {
    const h = harness();
    h.host.isTrusted = false;
    h.server.answers.set(Method.leaderboard, () => ({ markdown: "| model | score |" }));
    h.server.answers.set(ServerCommand.checkWorkspace, () => ({ files: 3, errors: 0, warnings: 0 }));
    await h.run(ClientCommand.showLeaderboard);
    await h.run(ClientCommand.checkWorkspace);
    assert.deepEqual(h.leaderboards, ["| model | score |"]);
  });
});

describe("fabula.runFile", () => {
  test("runs every task the server's code lenses name in the file, once each", async () => {
    const h = harness();
    h.host.settings.set("fabula.run.defaultModels", ["sim-writer-a"]);
    h.host.editor(TASK_FILE, 0);
    h.host.codeLenses = ["one", "two", "one"].map((task, line) => ({
      range: { start: { line } },
      command: { command: "fabula.runTask", arguments: [{ uri: TASK_URI, task }] },
    }));
    await h.run(ClientCommand.runFile);
    assert.deepEqual(
      runCalls(h.server).map((args) => (args as [{ task: string }])[0].task),
      ["one", "two"],
    );
    assert.match(h.host.messages()[0], /2 runs finished/);
  });
});

describe("other commands", () => {
  test("fabula.checkWorkspace runs fabula.server.checkWorkspace and summarises", async () => {
    const h = harness();
    h.server.answers.set(ServerCommand.checkWorkspace, () => ({ files: 12, errors: 1, warnings: 2 }));
    h.host.answer = () => "Show Problems";
    await h.run(ClientCommand.checkWorkspace);
    assert.deepEqual(h.server.sent, [{ method: ServerCommand.checkWorkspace, args: [] }]);
    assert.deepEqual(h.host.callsOf("showWarningMessage")[0].args, [
      "Fabula checked 12 files: 1 error, 2 warnings.",
      "Show Problems",
    ]);
    assert.equal(h.host.callsOf("executeCommand:workbench.actions.view.problems").length, 1);
  });

  test("fabula.showLeaderboard renders the server's markdown", async () => {
    const h = harness();
    h.server.answers.set(Method.leaderboard, () => ({ markdown: "| model | score |\n|---|---|\n| sim-writer-a | 0.61 |" }));
    await h.run(ClientCommand.showLeaderboard);
    assert.deepEqual(h.server.sent, [{ method: Method.leaderboard, args: [{}] }]);
    assert.deepEqual(h.leaderboards, ["| model | score |\n|---|---|\n| sim-writer-a | 0.61 |"]);
  });

  test("fabula.rankOutputs asks for the task's outputs as the configured rater and opens the view", async () => {
    const h = harness();
    const view: RankingItemsResult = {
      task: "chasqui-road-back",
      sample: 0,
      samples: [0],
      seed: "00fab01a5eed0001",
      rater: "ann@example.org",
      brief: "Write the beats.",
      items: [
        { id: "1a2b3c4d", text: "One.", transcript: [] },
        { id: "5e6f7a8b", text: "Two.", transcript: [] },
      ],
    };
    h.server.answers.set(Method.rankingItems, () => view);
    h.host.settings.set("fabula.rater", " ann@example.org ");
    await h.run(ClientCommand.rankOutputs, { uri: TASK_URI, task: "chasqui-road-back" });
    assert.deepEqual(h.server.sent, [
      { method: Method.rankingItems, args: [{ task: "chasqui-road-back", rater: "ann@example.org" }] },
    ]);
    assert.deepEqual(h.rankings, [view]);
    // No rater set: the server asks git.
    h.host.settings.delete("fabula.rater");
    await h.run(ClientCommand.rankOutputs, { uri: TASK_URI, task: "chasqui-road-back" });
    assert.deepEqual(h.server.sent[1], { method: Method.rankingItems, args: [{ task: "chasqui-road-back" }] });
  });

  test("fabula.openResults opens the files behind the latest scores", async () => {
    const h = harness();
    h.server.answers.set(Method.resultFiles, () => ({ files: ["/bench/results/a.json", "/bench/results/b.json"] }));
    await h.run(ClientCommand.openResults, { uri: TASK_URI, task: "chasqui-road-back", model: "sim-writer-a" });
    assert.deepEqual(h.server.sent, [
      { method: Method.resultFiles, args: [{ task: "chasqui-road-back", model: "sim-writer-a" }] },
    ]);
    assert.deepEqual(
      h.host.callsOf("showTextDocument").map((call) => call.args),
      [
        ["/bench/results/a.json", { preview: false }],
        ["/bench/results/b.json", { preview: false }],
      ],
    );
  });

  test("fabula.openResults with no results offers a run", async () => {
    const h = harness();
    h.server.answers.set(Method.resultFiles, () => ({ files: [] }));
    h.host.editor(TASK_FILE, 0);
    await h.run(ClientCommand.openResults);
    assert.deepEqual(h.server.sent, [{ method: Method.resultFiles, args: [{ task: "chasqui-road-back" }] }]);
    assert.match(h.host.messages()[0], /no results yet for chasqui-road-back/);
  });

  test("fabula.restartServer and fabula.showOutput", async () => {
    const h = harness();
    await h.run(ClientCommand.restartServer);
    await h.run(ClientCommand.showOutput);
    assert.equal(h.restarts, 1);
    assert.equal(h.outputShown, 1);
  });
});

describe("taskFromPath", () => {
  test("only dataset/tasks/<type>/<id>.yaml names a task", () => {
    assert.deepEqual(taskFromPath(FakeUri.file(TASK_FILE)), { uri: TASK_URI, task: "chasqui-road-back" });
    assert.equal(taskFromPath(FakeUri.file("/bench/dataset/theories/freytag.yaml")), undefined);
    assert.equal(taskFromPath(FakeUri.file("/bench/fabula.yaml")), undefined);
  });
});

describe("fabula.openReport", () => {
  test("from the palette: the overview; from the hover link: that task's drill-down", async () => {
    const h = harness();
    await h.run(ClientCommand.openReport);
    await h.run(ClientCommand.openReport, { task: "chasqui-road-back" });
    assert.deepEqual(h.reports, [undefined, "chasqui-road-back"]);
  });

  test("without a server it says so and opens nothing", async () => {
    const h = harness();
    h.running = false;
    await h.run(ClientCommand.openReport, { task: "chasqui-road-back" });
    assert.deepEqual(h.reports, []);
    assert.match(h.host.messages()[0], /not running/);
  });
});

describe("fabula.compareTask", () => {
  const RESULT: CompareResult = {
    task: "chasqui-road-back",
    a: "sim-writer-b",
    b: "sim-writer-a",
    items: 1,
    pairs: 1,
    missing: [],
    criteria: [],
    per_item: [],
  };

  test("hover link → pick A, then B among the others → fabula/compare → the view", async () => {
    const h = harness();
    h.server.answers.set(Method.compare, () => RESULT);
    const picks = ["sim-writer-b", "sim-writer-a"];
    const offered: string[][] = [];
    h.host.pick = (items) => {
      offered.push(items.map((item) => item.label));
      return items.find((item) => item.label === picks[offered.length - 1]);
    };
    await h.run(ClientCommand.compareTask, { task: "chasqui-road-back" });
    assert.deepEqual(offered, [["sim-writer-a", "sim-writer-b"], ["sim-writer-a"]]);
    const sent = h.server.sent.find((call) => call.method === Method.compare);
    assert.deepEqual(sent?.args, [{ task: "chasqui-road-back", a: "sim-writer-b", b: "sim-writer-a" }]);
    assert.deepEqual(h.comparisons, [RESULT]);
  });

  test("the code lens argument names the task too", async () => {
    const h = harness();
    h.server.answers.set(Method.compare, () => RESULT);
    h.host.pick = (items) => items[0];
    await h.run(ClientCommand.compareTask, { uri: TASK_URI, task: "chasqui-road-back" });
    const sent = h.server.sent.find((call) => call.method === Method.compare);
    assert.deepEqual(sent?.args, [{ task: "chasqui-road-back", a: "sim-writer-a", b: "sim-writer-b" }]);
  });

  test("cancelling either pick asks nothing more", async () => {
    const h = harness();
    h.host.pick = () => undefined;
    await h.run(ClientCommand.compareTask, { task: "chasqui-road-back" });
    assert.equal(h.server.methods().includes(Method.compare), false);
    assert.deepEqual(h.comparisons, []);
  });

  test("fewer than two models: a warning, no request", async () => {
    const h = harness();
    h.server.answers.set(Method.models, () => ({ ...MODELS, writers: ["sim-writer-a"], models: [MODELS.models[0]] }));
    await h.run(ClientCommand.compareTask, { task: "chasqui-road-back" });
    assert.match(h.host.messages()[0], /two models/);
    assert.equal(h.server.methods().includes(Method.compare), false);
  });
});
