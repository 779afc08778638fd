// What the status bar item says: the server's state and the runs in progress.

import { ClientCommand, type ActiveRun } from "./protocol";
import type { ServerState } from "./host";

export interface StatusPresentation {
  text: string;
  tooltip: string;
  /** The command a click runs. */
  command: string;
  /** Shown with the error background. */
  error: boolean;
}

const ICONS: Record<ServerState, string> = {
  starting: "$(loading~spin)",
  running: "$(book)",
  stopped: "$(circle-slash)",
  error: "$(error)",
};

export function statusPresentation(state: ServerState, runs: readonly ActiveRun[], detail?: string): StatusPresentation {
  if (state === "running" && runs.length > 0) {
    const first = runs[0];
    const more = runs.length > 1 ? ` +${runs.length - 1}` : "";
    return {
      text: `$(sync~spin) Fabula: ${first.task} · ${first.model}${more}`,
      tooltip: `Fabula is running:\n${runs.map((run) => `• ${run.task} with ${run.model}`).join("\n")}\nClick to show the log.`,
      command: ClientCommand.showOutput,
      error: false,
    };
  }
  const tooltips: Record<ServerState, string> = {
    starting: "Fabula language server is starting.",
    running: "Fabula language server is running. Click to show its log.",
    stopped: "Fabula language server has stopped. Click to restart it.",
    error: "Fabula language server failed. Click to restart it.",
  };
  const tooltip = detail === undefined ? tooltips[state] : `${tooltips[state]}\n${detail}`;
  return {
    text: `${ICONS[state]} Fabula`,
    tooltip,
    command: state === "stopped" || state === "error" ? ClientCommand.restartServer : ClientCommand.showOutput,
    error: state === "error",
  };
}

/** Reads the `fabula/runs` notification defensively: a malformed one counts as no runs. */
export function activeRuns(params: unknown): ActiveRun[] {
  if (typeof params !== "object" || params === null) {
    return [];
  }
  const active = (params as Record<string, unknown>).active;
  if (!Array.isArray(active)) {
    return [];
  }
  return active.filter(
    (run): run is ActiveRun =>
      typeof run === "object" &&
      run !== null &&
      typeof (run as Record<string, unknown>).task === "string" &&
      typeof (run as Record<string, unknown>).model === "string",
  );
}
