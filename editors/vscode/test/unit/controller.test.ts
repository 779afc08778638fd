// The server lifecycle: discovery results, initialization options, trust and restarts.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Controller, HOW_TO_INSTALL, OPEN_SETTINGS } from "../../src/controller";
import type { Discovery, ServerLaunch } from "../../src/discovery";
import type { InitializationOptions } from "../../src/protocol";
import type { StatusPresentation } from "../../src/status";
import { FakeClient, FakeHost, settle } from "./stubs";

interface Harness {
  host: FakeHost;
  controller: Controller;
  clients: { client: FakeClient; launch: ServerLaunch; options: InitializationOptions }[];
  statuses: StatusPresentation[];
  logs: string[];
  discovery: Discovery;
  failNextStart: Error | undefined;
  installHelp: number;
}

function harness(): Harness {
  const host = new FakeHost();
  const h: Harness = {
    host,
    controller: undefined as unknown as Controller,
    clients: [],
    statuses: [],
    logs: [],
    discovery: { found: true, path: "/opt/fabula-lsp", source: "setting" },
    failNextStart: undefined,
    installHelp: 0,
  };
  h.controller = new Controller({
    host,
    discover: () => h.discovery,
    createClient: (launch, options) => {
      const client = new FakeClient();
      client.failStart = h.failNextStart;
      h.failNextStart = undefined;
      h.clients.push({ client, launch, options });
      return client;
    },
    baseEnv: { HOME: "/home/ana" },
    onStatus: (status) => h.statuses.push(status),
    log: (line) => h.logs.push(line),
    showOutput: () => undefined,
    openInstallHelp: () => {
      h.installHelp += 1;
      return Promise.resolve();
    },
  });
  return h;
}

function lastStatus(h: Harness): StatusPresentation {
  const status = h.statuses[h.statuses.length - 1];
  assert.ok(status, "a status was published");
  return status;
}

describe("start", () => {
  test("starts the discovered binary with the launch the integration test uses", async () => {
    const h = harness();
    await h.controller.start();
    assert.equal(h.clients.length, 1);
    const [{ launch, client }] = h.clients;
    assert.equal(launch.command, "/opt/fabula-lsp");
    assert.deepEqual(launch.args, []);
    assert.equal(launch.env.HOME, "/home/ana");
    assert.equal(client.started, 1);
    assert.equal(h.controller.state, "running");
    assert.equal(h.controller.connection(), client);
    assert.deepEqual(
      h.statuses.map((status) => status.text),
      ["$(loading~spin) Fabula", "$(loading~spin) Fabula", "$(book) Fabula", "$(book) Fabula"],
    );
  });

  test("initializationOptions carry the trust and the inlineScores setting", async () => {
    const h = harness();
    h.host.isTrusted = false;
    h.host.settings.set("fabula.inlineScores", false);
    await h.controller.start();
    assert.deepEqual(h.clients[0].options, { inlineScores: false, trusted: false });
  });

  test("defaults: inline scores on", async () => {
    const h = harness();
    await h.controller.start();
    assert.deepEqual(h.clients[0].options, { inlineScores: true, trusted: true });
  });

  test("no server found: error state and a notification with Open Settings / How to install", async () => {
    const h = harness();
    h.discovery = { found: false, problem: "could not find the language server fabula-lsp", fix: "Build it.", tried: ["/usr/bin/fabula-lsp"] };
    h.host.answer = (_message, items) => (items.includes(OPEN_SETTINGS) ? OPEN_SETTINGS : undefined);
    await h.controller.start();
    await settle();
    assert.equal(h.clients.length, 0);
    assert.equal(h.controller.state, "error");
    assert.equal(h.controller.connection(), undefined);
    const [error] = h.host.callsOf("showErrorMessage");
    assert.deepEqual(error.args, [
      "Fabula: could not find the language server fabula-lsp. Build it.",
      OPEN_SETTINGS,
      HOW_TO_INSTALL,
    ]);
    assert.deepEqual(h.host.callsOf("executeCommand:workbench.action.openSettings")[0].args, ["fabula.server.path"]);
    assert.ok(lastStatus(h).error);
    assert.equal(lastStatus(h).command, "fabula.restartServer");
    assert.ok(h.logs.some((line) => line.includes("/usr/bin/fabula-lsp")), "the log lists where it looked");
  });

  test("'How to install' opens the install help", async () => {
    const h = harness();
    h.discovery = { found: false, problem: "p", fix: "f", tried: [] };
    h.host.answer = () => HOW_TO_INSTALL;
    await h.controller.start();
    await settle();
    assert.equal(h.installHelp, 1);
  });

  test("a server that fails to start is an error, not 'stopped'", async () => {
    const h = harness();
    h.failNextStart = new Error("spawn EACCES");
    await h.controller.start();
    assert.equal(h.controller.state, "error");
    assert.match(String(h.host.callsOf("showErrorMessage")[0].args[0]), /failed to start: spawn EACCES/);
    assert.ok(lastStatus(h).error);
  });
});

describe("start, continued", () => {
  test("a client that cannot even be created is an error too, and activation goes on", async () => {
    const host = new FakeHost();
    const controller = new Controller({
      host,
      discover: () => ({ found: true, path: "/opt/fabula-lsp", source: "path" }),
      createClient: () => {
        throw new Error("bad executable options");
      },
      baseEnv: {},
      onStatus: () => undefined,
      log: () => undefined,
      showOutput: () => undefined,
      openInstallHelp: () => Promise.resolve(),
    });
    await controller.start();
    assert.equal(controller.state, "error");
    assert.match(host.messages()[0], /bad executable options/);
  });
});

describe("restart", () => {
  test("stops the old client before starting a new one", async () => {
    const h = harness();
    await h.controller.start();
    await h.controller.restart();
    assert.equal(h.clients.length, 2);
    assert.equal(h.clients[0].client.stopped, 1);
    assert.equal(h.clients[1].client.started, 1);
    assert.equal(h.controller.connection(), h.clients[1].client);
  });

  test("a trust grant restarts the server with trusted: true", async () => {
    const h = harness();
    h.host.isTrusted = false;
    await h.controller.start();
    h.host.isTrusted = true;
    await h.controller.onTrustGranted();
    assert.deepEqual(
      h.clients.map((entry) => entry.options.trusted),
      [false, true],
    );
    assert.equal(h.clients[0].client.stopped, 1);
  });

  test("settings read at start restart the server; the trace level does not", async () => {
    const h = harness();
    await h.controller.start();
    await h.controller.onConfigurationChanged((section) => section === "fabula.trace.server");
    assert.equal(h.clients.length, 1);
    h.host.settings.set("fabula.inlineScores", false);
    await h.controller.onConfigurationChanged((section) => section === "fabula.inlineScores");
    assert.equal(h.clients.length, 2);
    assert.equal(h.clients[1].options.inlineScores, false);
    await h.controller.onConfigurationChanged((section) => section === "fabula.server.path");
    assert.equal(h.clients.length, 3);
  });

  test("restarts requested together run one after another", async () => {
    const h = harness();
    await h.controller.start();
    await Promise.all([h.controller.restart(), h.controller.restart()]);
    assert.equal(h.clients.length, 3);
    assert.deepEqual(
      h.clients.map((entry) => [entry.client.started, entry.client.stopped]),
      [
        [1, 1],
        [1, 1],
        [1, 0],
      ],
    );
  });

  test("restart after a missing server finds it once it is there", async () => {
    const h = harness();
    h.discovery = { found: false, problem: "p", fix: "f", tried: [] };
    await h.controller.start();
    h.discovery = { found: true, path: "/opt/fabula-lsp", source: "path" };
    await h.controller.restart();
    assert.equal(h.controller.state, "running");
  });
});

describe("status", () => {
  test("fabula/runs shows the active run, and its end clears it", async () => {
    const h = harness();
    await h.controller.start();
    const client = h.clients[0].client;
    client.notify("fabula/runs", { active: [{ task: "chasqui-road-back", model: "sim-writer-a" }] });
    assert.equal(lastStatus(h).text, "$(sync~spin) Fabula: chasqui-road-back · sim-writer-a");
    client.notify("fabula/runs", { active: [] });
    assert.equal(lastStatus(h).text, "$(book) Fabula");
  });

  test("a server that stops on its own shows 'stopped' and clears the runs", async () => {
    const h = harness();
    await h.controller.start();
    const client = h.clients[0].client;
    client.notify("fabula/runs", { active: [{ task: "t", model: "m" }] });
    client.emitState("stopped");
    assert.equal(h.controller.state, "stopped");
    assert.deepEqual(h.controller.activeRuns, []);
    assert.equal(lastStatus(h).command, "fabula.restartServer");
  });

  test("events from a replaced client are ignored", async () => {
    const h = harness();
    await h.controller.start();
    await h.controller.restart();
    h.clients[0].client.emitState("stopped");
    assert.equal(h.controller.state, "running");
  });
});
