// The status bar text and the leaderboard page: small pure functions.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { escapeHtml, leaderboardHtml, plainHtml } from "../../src/leaderboard";
import { activeRuns, statusPresentation } from "../../src/status";

describe("statusPresentation", () => {
  test("each server state", () => {
    assert.equal(statusPresentation("starting", []).text, "$(loading~spin) Fabula");
    assert.equal(statusPresentation("running", []).text, "$(book) Fabula");
    assert.equal(statusPresentation("stopped", []).command, "fabula.restartServer");
    const error = statusPresentation("error", [], "spawn ENOENT");
    assert.ok(error.error);
    assert.match(error.tooltip, /spawn ENOENT/);
  });

  test("several runs: the first and a count, all in the tooltip", () => {
    const status = statusPresentation("running", [
      { task: "a", model: "m1" },
      { task: "b", model: "m2" },
    ]);
    assert.equal(status.text, "$(sync~spin) Fabula: a · m1 +1");
    assert.match(status.tooltip, /b with m2/);
  });
});

describe("activeRuns", () => {
  test("reads the notification and drops malformed entries", () => {
    assert.deepEqual(activeRuns({ active: [{ task: "a", model: "m" }, { task: 1 }, null] }), [{ task: "a", model: "m" }]);
    assert.deepEqual(activeRuns(null), []);
    assert.deepEqual(activeRuns({ active: "no" }), []);
  });
});

describe("leaderboard page", () => {
  test("no script may run and the markdown fallback is escaped", () => {
    const page = leaderboardHtml(plainHtml("<script>alert(1)</script> & co"), "vscode-resource:");
    assert.match(page, /default-src 'none'/);
    assert.doesNotMatch(page, /script-src/);
    assert.doesNotMatch(page, /<script>/);
    assert.match(page, /&#60;script&#62;alert\(1\)&#60;\/script&#62; &#38; co/);
    assert.equal(escapeHtml(`"'`), "&#34;&#39;");
  });
});
