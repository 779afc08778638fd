// The one place that builds a vscode-languageclient LanguageClient, behind the small
// ClientHandle interface the rest of the extension uses.

import type * as vscode from "vscode";
import {
  ExecuteCommandRequest,
  LanguageClient,
  State,
  type Executable,
  type LanguageClientOptions,
} from "vscode-languageclient/node";
import type { ServerLaunch } from "./discovery";
import { retryContentModified, type ClientHandle, type Disposable, type ServerState } from "./host";
import { HOVER_COMMANDS, type InitializationOptions } from "./protocol";

/** The client id: vscode-languageclient reads `fabula.trace.server` because of it. */
export const CLIENT_ID = "fabula";
export const CLIENT_NAME = "Fabula";

/** The files the server checks: the project file and everything under `dataset/`. */
export const DOCUMENT_SELECTOR = [
  { scheme: "file", pattern: "**/fabula.yaml" },
  { scheme: "file", pattern: "**/dataset/**/*.yaml" },
];

export function createLanguageClient(
  launch: ServerLaunch,
  options: InitializationOptions,
  outputChannel: vscode.OutputChannel,
): ClientHandle {
  const executable: Executable = {
    command: launch.command,
    args: launch.args,
    options: { env: launch.env },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    initializationOptions: options,
    outputChannel,
    traceOutputChannel: outputChannel,
    // The task hover's links (Open in report, Compare two models) are `command:` links:
    // trusted for these two client commands and no other, and no HTML.
    markdown: { isTrusted: { enabledCommands: HOVER_COMMANDS }, supportHtml: false },
  };
  const client = new LanguageClient(CLIENT_ID, CLIENT_NAME, { run: executable, debug: executable }, clientOptions);
  return {
    start: () => client.start(),
    stop: () => client.stop(),
    request: <R>(method: string, params: unknown) => retryContentModified(() => client.sendRequest<R>(method, params)),
    executeCommand: <R>(command: string, args: unknown[]) =>
      retryContentModified(() => client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args }) as Promise<R>),
    onStateChange: (listener: (state: Exclude<ServerState, "error">) => void): Disposable =>
      client.onDidChangeState((event) => {
        listener(toServerState(event.newState));
      }),
    onNotification: (method: string, listener: (params: unknown) => void): Disposable =>
      client.onNotification(method, listener),
  };
}

function toServerState(state: State): Exclude<ServerState, "error"> {
  switch (state) {
    case State.Starting:
      return "starting";
    case State.Running:
      return "running";
    case State.Stopped:
      return "stopped";
  }
}
