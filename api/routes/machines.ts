import { Router, type Request } from 'express';
import { InvalidParameterValue } from '../../services/errors.js';
import {
  MACHINE_PHASES,
  MACHINE_SORT_KEYS,
  machineCreateSchema,
  remediateSchema,
  type MachineFilter,
  type MachinePhase,
} from '../../services/machines/index.js';
import type { ApiContext } from '../context.js';
import { jsonPatchSchema } from '../json-patch.js';
import { nextLink, parsePage } from '../pagination.js';
import { serializeMachine } from '../serializers/machine.js';
import { parseInput, queryString } from '../validation.js';

/**
 * `/v1/anvil/machines`: Cluster API machines (issue 15). Create is
 * idempotent by name; delete and remediate answer 202 and the owning
 * conductor does the work; PATCH may pause or resume a machine only.
 */
export function machineRoutes(ctx: ApiContext): Router {
  const router = Router();
  const maxLimit = ctx.config.api.maxLimit;

  router.get('/', async (req, res) => {
    const page = parsePage(req, MACHINE_SORT_KEYS, maxLimit);
    const machines = await ctx.machines.list({ ...page, filter: machineFilter(req) });
    const body: Record<string, unknown> = { machines: machines.map((m) => serializeMachine(m, req)) };
    const next = nextLink(
      req,
      'anvil/machines',
      page,
      machines.map((m) => m.uuid),
    );
    if (next) body.next = next;
    res.json(body);
  });

  router.post('/', async (req, res) => {
    const { machine, created } = await ctx.machines.create(parseInput(machineCreateSchema, req.body, 'machine'));
    res
      .status(created ? 201 : 200)
      .location(`/v1/anvil/machines/${encodeURIComponent(machine.name)}`)
      .json(serializeMachine(machine, req));
  });

  router.get('/:machine', async (req, res) => {
    res.json(serializeMachine(await ctx.machines.get(req.params.machine), req));
  });

  router.patch('/:machine', async (req, res) => {
    const ops = parseInput(jsonPatchSchema, req.body, 'patch');
    let paused: boolean | null = null;
    for (const op of ops) {
      if (op.path !== '/spec/paused' || (op.op !== 'add' && op.op !== 'replace') || typeof op.value !== 'boolean') {
        throw new InvalidParameterValue(
          `A machine's spec is fixed at creation except /spec/paused, which takes true or false; ${op.op} ${op.path} is refused.`,
        );
      }
      paused = op.value;
    }
    const machine = await ctx.machines.get(req.params.machine);
    res.json(serializeMachine(paused === null ? machine : await ctx.machines.setPaused(machine.uuid, paused), req));
  });

  router.delete('/:machine', async (req, res) => {
    res.status(202).json(serializeMachine(await ctx.machines.delete(req.params.machine), req));
  });

  router.post('/:machine/remediate', async (req, res) => {
    const body = parseInput(remediateSchema, req.body, 'remediation');
    res.status(202).json(serializeMachine(await ctx.machines.remediate(req.params.machine, body), req));
  });

  return router;
}

function machineFilter(req: Request): MachineFilter {
  const filter: MachineFilter = {};
  const cluster = queryString(req.query.cluster);
  if (cluster !== undefined) filter.cluster = cluster;
  const phase = queryString(req.query.phase);
  if (phase !== undefined) {
    if (!(MACHINE_PHASES as readonly string[]).includes(phase))
      throw new InvalidParameterValue(`Invalid phase "${phase}": expected one of ${MACHINE_PHASES.join(', ')}.`);
    filter.phase = phase as MachinePhase;
  }
  return filter;
}
