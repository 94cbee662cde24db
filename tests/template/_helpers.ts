/** Shared helpers for the template tests. */

import assert from "node:assert/strict";
import {
  parseTemplate,
  type TemplateIssue,
  TemplateValidationError,
} from "../../src/template/mod.ts";

/** A minimal valid template, with `extra` lines appended to its single step. */
export function oneStep(extra = ""): string {
  return `name: demo
namespace_name: demo
version: 1.0.0
steps:
  - name: only
    handler:
      callable: demo.only
${extra}`;
}

/** The issues `parseTemplate` reports for `text`; fails the test when it parses cleanly. */
export function issuesOf(text: string, file?: string): TemplateIssue[] {
  try {
    parseTemplate(text, { file });
  } catch (error) {
    assert.ok(error instanceof TemplateValidationError, `unexpected error: ${error}`);
    assert.equal(error.code, "E_TEMPLATE_INVALID");
    return [...error.issues];
  }
  assert.fail("expected the template to be rejected");
}

/** The one issue at `path`; fails unless exactly one issue has that path. */
export function issueAt(issues: TemplateIssue[], path: string): TemplateIssue {
  const found = issues.filter((issue) => issue.path === path);
  assert.equal(
    found.length,
    1,
    `expected one issue at ${path}, got: ${JSON.stringify(issues, null, 2)}`,
  );
  return found[0]!;
}
