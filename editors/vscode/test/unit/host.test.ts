// Retrying requests the server answered with ContentModified.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CONTENT_MODIFIED, retryContentModified } from "../../src/host";
import { ResponseError } from "./stubs";

const FAST = { attempts: 3, delayMs: 1 };

describe("retryContentModified", () => {
  test("sends again after ContentModified and returns the answer", async () => {
    let calls = 0;
    const answer = await retryContentModified(() => {
      calls += 1;
      return calls < 3 ? Promise.reject(new ResponseError(CONTENT_MODIFIED, "content modified")) : Promise.resolve("ok");
    }, FAST);
    assert.equal(answer, "ok");
    assert.equal(calls, 3);
  });

  test("gives up after the last attempt", async () => {
    let calls = 0;
    await assert.rejects(
      retryContentModified(() => {
        calls += 1;
        return Promise.reject(new ResponseError(CONTENT_MODIFIED, "content modified"));
      }, FAST),
      /content modified/,
    );
    assert.equal(calls, 3);
  });

  test("any other error is not retried", async () => {
    let calls = 0;
    await assert.rejects(
      retryContentModified(() => {
        calls += 1;
        return Promise.reject(new ResponseError(-32602, "this workspace is not trusted"));
      }, FAST),
      /not trusted/,
    );
    assert.equal(calls, 1);
  });
});
