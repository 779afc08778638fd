// The parts of the VS Code API and of the language client that the extension's logic
// uses, as plain interfaces. extension.ts hands in the real ones; the unit tests hand in
// stubs, so everything but extension.ts runs without VS Code.

/** A disposable, as VS Code has it. */
export interface Disposable {
  dispose(): unknown;
}

/** The part of `vscode.Uri` we read. */
export interface UriLike {
  readonly scheme: string;
  readonly fsPath: string;
  toString(): string;
}

export interface PositionLike {
  readonly line: number;
}

export interface EditorLike {
  readonly document: { readonly uri: UriLike };
  readonly selection: { readonly active: PositionLike };
}

/** What `vscode.executeCodeLensProvider` returns, as far as we read it. */
export interface CodeLensLike {
  readonly range: { readonly start: PositionLike };
  readonly command?: { readonly command: string; readonly arguments?: unknown[] };
}

export interface QuickPickItemLike {
  label: string;
  description?: string;
  detail?: string;
}

export interface ConfigurationLike {
  get<T>(key: string, defaultValue: T): T;
}

export interface Host {
  readonly window: {
    readonly activeTextEditor: EditorLike | undefined;
    showInformationMessage(message: string, ...items: string[]): Promise<string | undefined>;
    showWarningMessage(message: string, ...items: string[]): Promise<string | undefined>;
    showErrorMessage(message: string, ...items: string[]): Promise<string | undefined>;
    showQuickPick<T extends QuickPickItemLike>(
      items: readonly T[],
      options: { title?: string; placeHolder?: string; ignoreFocusOut?: boolean },
    ): Promise<T | undefined>;
    showTextDocument(uri: UriLike, options: { preview: boolean }): Promise<unknown>;
  };
  readonly workspace: {
    readonly isTrusted: boolean;
    readonly workspaceFolders: readonly { readonly uri: UriLike }[] | undefined;
    getConfiguration(section: string, scope?: UriLike): ConfigurationLike;
  };
  readonly commands: {
    registerCommand(command: string, callback: (...args: unknown[]) => unknown): Disposable;
    executeCommand<T>(command: string, ...rest: unknown[]): Promise<T>;
  };
  /** `vscode.Uri.parse` / `vscode.Uri.file`. */
  parseUri(value: string): UriLike;
  fileUri(path: string): UriLike;
}

/** A running language server, as the commands talk to it. */
export interface ServerConnection {
  request<R>(method: string, params: unknown): Promise<R>;
  /** `workspace/executeCommand`; rejects with the server's `ResponseError`. */
  executeCommand<R>(command: string, args: unknown[]): Promise<R>;
}

/** The language server's lifecycle states, as the status bar shows them. */
export type ServerState = "starting" | "running" | "stopped" | "error";

/** A language client for one server process (vscode-languageclient in the editor). */
export interface ClientHandle extends ServerConnection {
  start(): Promise<void>;
  stop(): Promise<void>;
  onStateChange(listener: (state: Exclude<ServerState, "error">) => void): Disposable;
  onNotification(method: string, listener: (params: unknown) => void): Disposable;
}

/** The error a rejected LSP request carries (vscode-jsonrpc's `ResponseError`). */
export interface ResponseErrorLike {
  code: number;
  message: string;
}

/** JSON-RPC's "request cancelled" (LSP `RequestCancelled`). */
export const REQUEST_CANCELLED = -32800;

export function isResponseError(error: unknown): error is ResponseErrorLike {
  if (typeof error !== "object" || error === null) {
    return false;
  }
  const record = error as Record<string, unknown>;
  return typeof record.code === "number" && typeof record.message === "string";
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  if (isResponseError(error)) {
    return error.message;
  }
  return String(error);
}

/** LSP `ContentModified`: the server's answer was overtaken by an edit or a reload. */
export const CONTENT_MODIFIED = -32801;

/**
 * Sends a request again while the server answers `ContentModified` (it does so when a
 * file change cancels its computation, e.g. while it loads the project right after
 * start). Safe for `fabula.server.run`: the server checks the workspace before it calls
 * any model, and only that check can be cancelled.
 */
export async function retryContentModified<T>(
  send: () => Promise<T>,
  options: { attempts: number; delayMs: number } = { attempts: 5, delayMs: 200 },
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await send();
    } catch (error) {
      if (!isResponseError(error) || error.code !== CONTENT_MODIFIED || attempt >= options.attempts) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, options.delayMs * attempt));
    }
  }
}
