// The report and comparison views' pure parts: the report request for a webview (a
// fresh nonce each time, the webview's source), and the comparison page (escaped, no
// script, numbers as the server sent them, a sentence that says what they mean).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compareHtml, pValue, signed, verdict } from "../../src/compare";
import { ClientCommand, HOVER_COMMANDS, type CompareDiff, type CompareResult } from "../../src/protocol";
import { nonce, reportParams, reportTitle } from "../../src/report";

const SOURCE = "https://file+.vscode-resource.vscode-cdn.net";

describe("the report request", () => {
  test("carries the task, a nonce and the webview's source", () => {
    assert.deepEqual(reportParams("t1", "n".repeat(32), SOURCE), {
      task: "t1",
      webview: { nonce: "n".repeat(32), cspSource: SOURCE },
    });
    assert.deepEqual(reportParams(undefined, "n".repeat(32), SOURCE), { webview: { nonce: "n".repeat(32), cspSource: SOURCE } });
    assert.equal(reportTitle("t1"), "Fabula Report: t1");
  });

  test("nonces are fresh, long and base64url (what the server accepts)", () => {
    const seen = new Set(Array.from({ length: 50 }, () => nonce()));
    assert.equal(seen.size, 50);
    for (const n of seen) {
      assert.match(n, /^[A-Za-z0-9_-]{32}$/);
    }
  });

  test("hovers may run the two hover commands and nothing else", () => {
    assert.deepEqual([...HOVER_COMMANDS].sort(), [ClientCommand.compareTask, ClientCommand.openReport].sort());
  });
});

const DIFF: CompareDiff = {
  pairs: 3,
  a: 60,
  b: 70.5,
  diff: 10.5,
  ci_low: 2.25,
  ci_high: 18,
  p: 0.25,
  exact: true,
  wins: 3,
  ties: 0,
  losses: 0,
};

describe("the comparison page", () => {
  const HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>';
  const result: CompareResult = {
    task: "chasqui-road-back",
    a: "sim-writer-a",
    b: "sim-writer-b",
    items: 4,
    pairs: 3,
    missing: [{ why: "B: not generated", count: 1 }],
    overall: DIFF,
    criteria: [{ criterion: "coherence", diff: { ...DIFF, diff: -5, p_holm: 0.0004 } }],
    per_item: [{ sample: 1, a: 50, b: 70, diff: 20, reason: HOSTILE }],
  };

  test("shows the numbers, with a sentence for a newcomer", () => {
    const html = compareHtml(result, "N".repeat(32), SOURCE);
    assert.match(html, /<strong>\+10\.5<\/strong>/);
    assert.match(html, /\+2\.3 to \+18\.0/);
    assert.match(html, /p = 0\.250 \(exact\)/);
    assert.match(html, /3 \/ 0 \/ 0/);
    assert.match(html, /No clear difference between sim-writer-a and sim-writer-b/);
    assert.match(html, /p &#60; 0\.001/, "the criterion's Holm-adjusted p is shown");
    assert.match(html, /1 \(B: not generated\)/);
    assert.match(html, /fabula compare sim-writer-a sim-writer-b --task chasqui-road-back/);
  });

  test("escapes every text and runs nothing", () => {
    const html = compareHtml(result, "N".repeat(32), SOURCE);
    assert.doesNotMatch(html, /<script|<img/);
    assert.match(html, /&#60;script&#62;alert\(1\)/);
    assert.match(html, new RegExp(`default-src 'none'; style-src ${SOURCE.replace(/[.+]/g, "\\$&")} 'nonce-N{32}'`));
    assert.doesNotMatch(html, /script-src/);
  });

  test("with no pair it says how to get one", () => {
    const html = compareHtml({ ...result, overall: undefined, pairs: 0, per_item: [], criteria: [] }, "N".repeat(32), SOURCE);
    assert.match(html, /nothing to compare/);
  });

  test("verdicts, signs and p-values", () => {
    assert.equal(signed(0.04), "0.0");
    assert.equal(signed(-0.04), "0.0");
    assert.equal(signed(3), "+3.0");
    assert.equal(signed(-2.35), "-2.4");
    assert.equal(pValue(0.0004), "p < 0.001");
    assert.equal(pValue(0.04), "p = 0.040");
    assert.match(verdict("A", "B", { ...DIFF, p: 0.01 }), /^B is better than A/);
    assert.match(verdict("A", "B", { ...DIFF, diff: -4, p: 0.01 }), /^B is worse than A/);
    assert.match(verdict("A", "B", { ...DIFF, p: 0.01, p_holm: 0.2 }), /^No clear difference/);
  });
});
