// The language server's lifecycle: find it, start it with the workspace's trust and
// settings, restart it on request, on a trust grant or on a setting that needs it, and keep
// the status bar in step.

import { serverLaunch, type Discovery, type ServerLaunch } from "./discovery";
import { errorMessage, type ClientHandle, type Disposable, type Host, type ServerConnection, type ServerState } from "./host";
import { ClientCommand, Method, type ActiveRun, type InitializationOptions } from "./protocol";
import { activeRuns, statusPresentation, type StatusPresentation } from "./status";

/** Settings whose change needs a new server process (trace level changes live). */
export const RESTART_SETTINGS = ["fabula.server.path", "fabula.inlineScores"] as const;

export const OPEN_SETTINGS = "Open Settings";
export const HOW_TO_INSTALL = "How to install";

export interface ControllerDeps {
  host: Host;
  /** Finds the server with today's settings and environment. */
  discover(): Discovery;
  createClient(launch: ServerLaunch, options: InitializationOptions): ClientHandle;
  /** The environment the server process starts from. */
  baseEnv: NodeJS.ProcessEnv;
  onStatus(status: StatusPresentation): void;
  log(line: string): void;
  showOutput(): void;
  /** Opens the README's installation section. */
  openInstallHelp(): Promise<void>;
}

export class Controller implements Disposable {
  private client: ClientHandle | undefined;
  private listeners: Disposable[] = [];
  private currentState: ServerState = "stopped";
  private runs: ActiveRun[] = [];
  private detail: string | undefined;
  /** Start, stop and restart run one after another, never interleaved. */
  private queue: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(private readonly deps: ControllerDeps) {}

  get state(): ServerState {
    return this.currentState;
  }

  get activeRuns(): readonly ActiveRun[] {
    return this.runs;
  }

  /** The server, while it is running. */
  connection(): ServerConnection | undefined {
    return this.currentState === "running" ? this.client : undefined;
  }

  /** What the server is told at `initialize`: today's settings and trust. */
  initializationOptions(): InitializationOptions {
    const config = this.deps.host.workspace.getConfiguration("fabula");
    return {
      inlineScores: config.get<boolean>("inlineScores", true),
      trusted: this.deps.host.workspace.isTrusted,
    };
  }

  start(): Promise<void> {
    return this.enqueue(() => this.doStart());
  }

  stop(): Promise<void> {
    return this.enqueue(() => this.doStop());
  }

  restart(): Promise<void> {
    return this.enqueue(async () => {
      await this.doStop();
      await this.doStart();
    });
  }

  /** Trust was granted: the running server was told `trusted: false`, so start anew. */
  onTrustGranted(): Promise<void> {
    this.deps.log("workspace trusted: restarting the server so that it allows runs");
    return this.restart();
  }

  /** Restarts when a setting the server reads at start changed. */
  onConfigurationChanged(affects: (section: string) => boolean): Promise<void> {
    const changed = RESTART_SETTINGS.filter((section) => affects(section));
    if (changed.length === 0) {
      return Promise.resolve();
    }
    this.deps.log(`${changed.join(", ")} changed: restarting the server`);
    return this.restart();
  }

  dispose(): Promise<void> {
    return this.stop();
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(step, step);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async doStart(): Promise<void> {
    this.runs = [];
    this.setState("starting");
    const discovery = this.deps.discover();
    if (!discovery.found) {
      this.setState("error", discovery.problem);
      this.deps.log(`cannot start: ${discovery.problem}`);
      if (discovery.tried.length > 0) {
        this.deps.log(`looked in:\n  ${discovery.tried.join("\n  ")}`);
      }
      void this.reportMissingServer(discovery);
      return;
    }
    const launch = serverLaunch(discovery.path, this.deps.baseEnv);
    const options = this.initializationOptions();
    this.deps.log(
      `starting ${launch.command} (from ${discovery.source}); trusted: ${options.trusted}, inline scores: ${options.inlineScores}`,
    );
    try {
      const client = this.deps.createClient(launch, options);
      this.client = client;
      this.listeners = [
        client.onStateChange((state) => {
          if (this.client !== client) {
            return;
          }
          if (state === "stopped" && !this.stopping) {
            this.runs = [];
          }
          // A failed start is reported below as an error; do not let "stopped" hide it.
          if (!(state === "stopped" && this.currentState === "error")) {
            this.setState(state);
          }
        }),
        client.onNotification(Method.runs, (params) => {
          this.runs = activeRuns(params);
          this.publishStatus();
        }),
      ];
      await client.start();
      this.setState("running");
    } catch (error) {
      const message = errorMessage(error);
      this.setState("error", message);
      this.deps.log(`the server failed to start: ${message}`);
      void this.reportFailedStart(message);
    }
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    if (client === undefined) {
      this.setState("stopped");
      return;
    }
    this.stopping = true;
    try {
      await client.stop();
    } catch (error) {
      // Stopping a server that never started throws; there is nothing left to stop.
      this.deps.log(`stopping the server: ${errorMessage(error)}`);
    } finally {
      this.stopping = false;
      for (const listener of this.listeners) {
        listener.dispose();
      }
      this.listeners = [];
      this.client = undefined;
      this.runs = [];
      this.setState("stopped");
    }
  }

  private setState(state: ServerState, detail?: string): void {
    this.currentState = state;
    this.detail = detail;
    this.publishStatus();
  }

  private publishStatus(): void {
    this.deps.onStatus(statusPresentation(this.currentState, this.runs, this.detail));
  }

  private async reportMissingServer(discovery: Extract<Discovery, { found: false }>): Promise<void> {
    const choice = await this.deps.host.window.showErrorMessage(
      `Fabula: ${discovery.problem}. ${discovery.fix}`,
      OPEN_SETTINGS,
      HOW_TO_INSTALL,
    );
    if (choice === OPEN_SETTINGS) {
      await this.deps.host.commands.executeCommand("workbench.action.openSettings", "fabula.server.path");
    } else if (choice === HOW_TO_INSTALL) {
      await this.deps.openInstallHelp();
    }
  }

  private async reportFailedStart(message: string): Promise<void> {
    const log = "Show Log";
    const restart = "Restart";
    const choice = await this.deps.host.window.showErrorMessage(
      `Fabula: the language server failed to start: ${message}`,
      log,
      restart,
    );
    if (choice === log) {
      this.deps.showOutput();
    } else if (choice === restart) {
      await this.deps.host.commands.executeCommand(ClientCommand.restartServer);
    }
  }
}
