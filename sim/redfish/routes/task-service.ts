import { Router } from 'express';
import type { FirmwareJob, SimHost } from '../../host/index.js';
import { collection, link, ROOT, sendResource, type SimContext } from '../context.js';
import { RedfishFault } from '../errors.js';

// Tasks are the hosts' firmware jobs, named `<host>.<job number>`. The task
// monitor answers 202 while the job runs and 200 with the finished Task after.

const SERVICE = `${ROOT}/TaskService`;
const TASKS = `${SERVICE}/Tasks`;
const MONITORS = `${SERVICE}/TaskMonitors`;

function taskId(host: SimHost, job: FirmwareJob): string {
  return `${host.name}.${job.id}`;
}

export function taskMonitorUri(host: SimHost, job: FirmwareJob): string {
  return `${MONITORS}/${encodeURIComponent(taskId(host, job))}`;
}

export function taskBody(host: SimHost, job: FirmwareJob): object {
  const status = job.status();
  const registryMessage =
    status.state === 'Running'
      ? 'TaskEvent.1.0.TaskStarted'
      : status.state === 'Completed'
        ? 'TaskEvent.1.0.TaskCompletedOK'
        : 'TaskEvent.1.0.TaskAborted';
  return {
    '@odata.type': '#Task.v1_7_3.Task',
    '@odata.id': `${TASKS}/${encodeURIComponent(taskId(host, job))}`,
    Id: taskId(host, job),
    Name: `Firmware update of ${host.name}`,
    TaskState: status.state,
    TaskStatus: status.state === 'Exception' ? 'Critical' : 'OK',
    PercentComplete: status.percentComplete,
    StartTime: status.startedAt,
    ...(status.endedAt === null ? {} : { EndTime: status.endedAt }),
    TaskMonitor: taskMonitorUri(host, job),
    Messages: [
      {
        MessageId: registryMessage,
        Message: status.message,
        MessageSeverity: status.state === 'Exception' ? 'Critical' : 'OK',
      },
    ],
  };
}

function findJob(ctx: SimContext, id: string): { host: SimHost; job: FirmwareJob } {
  const dot = id.lastIndexOf('.');
  const host = dot > 0 ? ctx.fleet.get(id.slice(0, dot)) : undefined;
  const job = host?.firmwareJob(Number(id.slice(dot + 1)));
  if (!host || !job) throw new RedfishFault(404, 'ResourceNotFound', 'The requested task was not found.');
  return { host, job };
}

export function taskServiceRoutes(ctx: SimContext): Router {
  const router = Router();

  router.get(SERVICE, (_req, res) => {
    sendResource(res, {
      '@odata.type': '#TaskService.v1_2_0.TaskService',
      '@odata.id': SERVICE,
      Id: 'TaskService',
      Name: 'Task Service',
      ServiceEnabled: true,
      CompletedTaskOverWritePolicy: 'Oldest',
      Tasks: link(TASKS),
    });
  });
  router.get(TASKS, (_req, res) => {
    const members = ctx.fleet.hosts.flatMap((h) =>
      h.firmwareJobs.map((j) => `${TASKS}/${encodeURIComponent(taskId(h, j))}`),
    );
    sendResource(res, collection(TASKS, 'Task Collection', 'TaskCollection', members));
  });
  router.get(`${TASKS}/:id`, (req, res) => {
    const { host, job } = findJob(ctx, req.params.id);
    sendResource(res, taskBody(host, job));
  });
  router.get(`${MONITORS}/:id`, (req, res) => {
    const { host, job } = findJob(ctx, req.params.id);
    const running = job.status().state === 'Running';
    if (running) res.set('Location', taskMonitorUri(host, job)).set('Retry-After', '1');
    sendResource(res, taskBody(host, job), running ? 202 : 200);
  });

  return router;
}
