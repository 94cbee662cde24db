import assert from "node:assert/strict";
import { PublisherRegistry } from "../../src/events/publisher_registry.ts";
import { allCallables, allPublisherNames, loadTemplateDir } from "../../src/template/mod.ts";
import { HandlerRegistry } from "../../src/worker/handler_registry.ts";
import { exampleHandlers, examplePublishers, registerExamples } from "../../templates/mod.ts";

const templatesDir = new URL("../../templates", import.meta.url).pathname;

Deno.test("every callable and publisher the example YAML names is registered", async () => {
  const templates = await loadTemplateDir(templatesDir);
  assert.ok(templates.length >= 6, `found ${templates.length} templates`);
  const handlers = new HandlerRegistry();
  const publishers = new PublisherRegistry();
  registerExamples(handlers, publishers);
  assert.deepEqual(handlers.validate(templates), []);
  handlers.assertValid(templates);
  assert.deepEqual(publishers.validateRequired(allPublisherNames(templates)), []);
});

Deno.test("the examples register no handler that no template uses", async () => {
  const templates = await loadTemplateDir(templatesDir);
  assert.deepEqual(Object.keys(exampleHandlers).sort(), allCallables(templates));
  assert.deepEqual(examplePublishers.map((p) => p.name).sort(), allPublisherNames(templates));
});

Deno.test("registering the examples twice is refused by name", () => {
  const handlers = new HandlerRegistry();
  registerExamples(handlers, new PublisherRegistry());
  assert.throws(
    () => registerExamples(handlers, new PublisherRegistry()),
    /linear_workflow\.linear_step_1/,
  );
});
