/**
 * `tasker schedules [--templates DIR] [--json]`: the schedules the templates declare
 * (`schedules:`), each with its next occurrence and its last fire as recorded in the database
 * (schedules added in code with `tasker.schedule()` are known only to their process).
 *
 * @module
 */

import { TemplateRegistry } from "../template/registry.ts";
import { Scheduler } from "../worker/schedules.ts";
import { parseArgs, positionals } from "./args.ts";
import { openCliDatabase, templatesPath, wantsJson, warnIfEphemeral } from "./setup.ts";

/** `schedules [--templates DIR] [--json]`. */
export async function schedulesCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args, ["templates"], ["json"]);
  positionals(parsed, []);
  const templates = await TemplateRegistry.fromDir(await templatesPath(parsed, "schedules"));
  warnIfEphemeral("schedules");
  await using db = await openCliDatabase();
  const scheduler = new Scheduler({ db, templates, workerId: "cli" });
  scheduler.addTemplateSchedules();
  const schedules = scheduler.list();
  const rows = await db.query<
    { schedule_name: string; last: Date | string; task_uuid: string | null }
  >(
    `SELECT DISTINCT ON (schedule_name) schedule_name, fire_time AS last, task_uuid::text AS task_uuid
       FROM tasker.schedule_fires WHERE schedule_name = ANY($1::text[])
      ORDER BY schedule_name, fire_time DESC`,
    [schedules.map((s) => s.name)],
  );
  const last = new Map(rows.map((r) => [r.schedule_name, r]));
  const report = schedules.map((s) => {
    const fire = last.get(s.name);
    return {
      ...s,
      last_fire_at: fire ? new Date(fire.last).toISOString() : null,
      last_task_uuid: fire?.task_uuid ?? null,
    };
  });
  if (wantsJson(parsed)) {
    console.log(JSON.stringify(report));
    return 0;
  }
  if (report.length === 0) console.log("no schedules (templates declare them under schedules:)");
  for (const s of report) {
    console.log(
      `${s.name}  ${JSON.stringify(s.cron)} ${s.timezone}  catch_up ${s.catch_up}  next ${
        s.next_fire_at ?? "never"
      }  last ${s.last_fire_at ?? "never"}`,
    );
  }
  return 0;
}
