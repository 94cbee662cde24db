// Tasker.open fails cleanly: when building a part fails after the databases are open (a bad
// worker option), what it opened is closed again before the error reaches the caller, so a
// process that handles the error keeps no sockets, no PGlite instance and no timers (the test
// sanitizers check), and the data directory can be opened again.
import assert from "node:assert/strict";
import { Tasker } from "../src/tasker.ts";
import { TemplateRegistry } from "../src/template/registry.ts";
import { WorkerConfigError } from "../src/worker/worker_errors.ts";
import { exampleTemplate } from "./worker/_engine.ts";

const url = Deno.env.get("DATABASE_URL");
const LINEAR = "linear_workflow/mathematical_sequence.yaml";

async function openWithBadLease(database: { url?: string; dataDir?: string; embedded?: boolean }) {
  const templates = TemplateRegistry.fromTemplates([await exampleTemplate(LINEAR)]);
  await assert.rejects(
    Tasker.open({ templates, database, leaseSeconds: 0, startWorker: false }),
    (error: Error) => error instanceof WorkerConfigError && /leaseSeconds/.test(error.message),
  );
}

Deno.test("a bad worker option after the embedded database opened closes it", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tasker_open_failure_" });
  try {
    await openWithBadLease({ dataDir, embedded: true });
    // The data directory's lock was released: it opens again in this process.
    const templates = TemplateRegistry.fromTemplates([await exampleTemplate(LINEAR)]);
    const tasker = await Tasker.open({
      templates,
      database: { dataDir, embedded: true },
      startWorker: false,
    });
    await tasker.close();
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test({
  name: "a bad worker option after the server pools opened closes them",
  ignore: url === undefined,
  fn: () => openWithBadLease({ url }),
});
