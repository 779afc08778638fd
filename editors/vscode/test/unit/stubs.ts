// A recording stand-in for the VS Code API and the language client: enough of each for the
// extension's logic, with every call kept for the tests to inspect.

import * as path from "node:path";
import type {
  ClientHandle,
  CodeLensLike,
  ConfigurationLike,
  Disposable,
  EditorLike,
  Host,
  QuickPickItemLike,
  ServerConnection,
  ServerState,
  UriLike,
} from "../../src/host";

export class FakeUri implements UriLike {
  constructor(
    readonly scheme: string,
    readonly fsPath: string,
  ) {}

  static file(file: string): FakeUri {
    return new FakeUri("file", path.resolve(file));
  }

  static parse(value: string): FakeUri {
    const url = new URL(value);
    return new FakeUri(url.protocol.replace(/:$/, ""), decodeURIComponent(url.pathname));
  }

  toString(): string {
    return `${this.scheme}://${this.fsPath}`;
  }
}

export interface Call {
  method: string;
  args: unknown[];
}

/** What a stubbed message box answers: the button to "click", or undefined. */
export type Answer = (message: string, items: string[]) => string | undefined;

export class FakeHost implements Host {
  readonly calls: Call[] = [];
  readonly registered = new Map<string, (...args: unknown[]) => unknown>();
  readonly settings = new Map<string, unknown>();
  isTrusted = true;
  activeTextEditor: EditorLike | undefined;
  codeLenses: CodeLensLike[] = [];
  answer: Answer = () => undefined;
  pick: (items: readonly QuickPickItemLike[]) => QuickPickItemLike | undefined = () => undefined;

  readonly window: Host["window"];
  readonly workspace: Host["workspace"];
  readonly commands: Host["commands"];

  constructor() {
    const record = (method: string, ...args: unknown[]): void => {
      this.calls.push({ method, args });
    };
    const message =
      (method: string) =>
      (text: string, ...items: string[]): Promise<string | undefined> => {
        record(method, text, ...items);
        return Promise.resolve(this.answer(text, items));
      };
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- getters below need the instance
    const self = this;
    this.window = {
      get activeTextEditor() {
        return self.activeTextEditor;
      },
      showInformationMessage: message("showInformationMessage"),
      showWarningMessage: message("showWarningMessage"),
      showErrorMessage: message("showErrorMessage"),
      showQuickPick: <T extends QuickPickItemLike>(items: readonly T[], options: unknown) => {
        record("showQuickPick", items, options);
        return Promise.resolve(this.pick(items) as T | undefined);
      },
      showTextDocument: (uri: UriLike, options: unknown) => {
        record("showTextDocument", uri.fsPath, options);
        return Promise.resolve(undefined);
      },
    };
    this.workspace = {
      get isTrusted() {
        return self.isTrusted;
      },
      workspaceFolders: undefined,
      getConfiguration: (section: string): ConfigurationLike => ({
        get: <T>(key: string, defaultValue: T): T => {
          const full = `${section}.${key}`;
          return this.settings.has(full) ? (this.settings.get(full) as T) : defaultValue;
        },
      }),
    };
    this.commands = {
      registerCommand: (command: string, callback: (...args: unknown[]) => unknown): Disposable => {
        this.registered.set(command, callback);
        return { dispose: () => this.registered.delete(command) };
      },
      executeCommand: <T>(command: string, ...rest: unknown[]): Promise<T> => {
        record(`executeCommand:${command}`, ...rest);
        if (command === "vscode.executeCodeLensProvider") {
          return Promise.resolve(this.codeLenses as T);
        }
        return Promise.resolve(undefined as T);
      },
    };
  }

  parseUri(value: string): UriLike {
    return FakeUri.parse(value);
  }

  fileUri(file: string): UriLike {
    return FakeUri.file(file);
  }

  callsOf(method: string): Call[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** The text of every notification shown, of any severity. */
  messages(): string[] {
    return this.calls
      .filter((call) => call.method.startsWith("show") && call.method.endsWith("Message"))
      .map((call) => String(call.args[0]));
  }

  editor(file: string, line: number): void {
    this.activeTextEditor = {
      document: { uri: FakeUri.file(file) },
      selection: { active: { line } },
    };
  }
}

/** Like vscode-jsonrpc's ResponseError: an Error with the JSON-RPC error code. */
export class ResponseError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** A scripted server: answers by method (or command) name and records what it was sent. */
export class FakeServer implements ServerConnection {
  readonly sent: Call[] = [];
  readonly answers = new Map<string, (params: unknown) => unknown>();

  request<R>(method: string, params: unknown): Promise<R> {
    this.sent.push({ method, args: [params] });
    return this.answer<R>(method, params);
  }

  executeCommand<R>(command: string, args: unknown[]): Promise<R> {
    this.sent.push({ method: command, args });
    return this.answer<R>(command, args);
  }

  methods(): string[] {
    return this.sent.map((call) => call.method);
  }

  private answer<R>(key: string, params: unknown): Promise<R> {
    const answer = this.answers.get(key);
    if (answer === undefined) {
      return Promise.reject(new Error(`unexpected ${key}`));
    }
    try {
      return Promise.resolve(answer(params) as R);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

/** A language client whose process never exists; `failStart` makes `start()` reject. */
export class FakeClient extends FakeServer implements ClientHandle {
  started = 0;
  stopped = 0;
  failStart: Error | undefined;
  private readonly stateListeners: ((state: Exclude<ServerState, "error">) => void)[] = [];
  private readonly notificationListeners = new Map<string, (params: unknown) => void>();

  start(): Promise<void> {
    this.started += 1;
    this.emitState("starting");
    if (this.failStart !== undefined) {
      this.emitState("stopped");
      return Promise.reject(this.failStart);
    }
    this.emitState("running");
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.stopped += 1;
    this.emitState("stopped");
    return Promise.resolve();
  }

  onStateChange(listener: (state: Exclude<ServerState, "error">) => void): Disposable {
    this.stateListeners.push(listener);
    return { dispose: () => this.stateListeners.splice(this.stateListeners.indexOf(listener), 1) };
  }

  onNotification(method: string, listener: (params: unknown) => void): Disposable {
    this.notificationListeners.set(method, listener);
    return { dispose: () => this.notificationListeners.delete(method) };
  }

  emitState(state: Exclude<ServerState, "error">): void {
    for (const listener of [...this.stateListeners]) {
      listener(state);
    }
  }

  notify(method: string, params: unknown): void {
    this.notificationListeners.get(method)?.(params);
  }
}

/** Lets pending promise callbacks (a clicked button's follow-up) run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
