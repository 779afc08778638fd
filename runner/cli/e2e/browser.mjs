// Debian's chromium under playwright-core, headless, with the flags that work on this
// machine and in CI (as editors/vscode/e2e/run.mjs launches it): shared by the test
// (run.mjs) and the benchmark's timing (open.mjs).
import { chromium } from "playwright-core";

export function launch() {
  return chromium.launch({
    executablePath: process.env.FABULA_E2E_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-sync",
      "--disable-quic",
      "--disable-dev-shm-usage",
    ],
  });
}
