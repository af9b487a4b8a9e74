import { Router } from 'express';
import { faultSpecSchema, type FaultSpec } from '../../faults/index.js';
import { HEALTH_STATES, type HealthState } from '../../host/index.js';
import { hostOr404, type SimContext } from '../context.js';
import { RedfishFault } from '../errors.js';

// The simulator's own console: look at machines the way one would look at a
// real one, and break them on purpose. Never subject to faults or auth.

export const CONTROL_ROOT = '/sim/v1';

function parseFaults(body: unknown): FaultSpec {
  const parsed = faultSpecSchema.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('/') : '';
    throw new RedfishFault(
      400,
      'PropertyValueTypeError',
      `Invalid fault specification${where ? ` at ${where}` : ''}: ${issue?.message ?? 'rejected'}`,
      where ? [`#/${where}`] : [],
    );
  }
  return parsed.data;
}

function parseHealth(body: unknown): HealthState {
  const health = typeof body === 'object' && body !== null ? (body as { health?: unknown }).health : undefined;
  const known = HEALTH_STATES.find((h) => h === health);
  if (known === undefined) {
    throw new RedfishFault(
      400,
      'PropertyValueNotInList',
      `The value ${JSON.stringify(health ?? null)} for health is not one of ${HEALTH_STATES.join(', ')}.`,
      ['#/health'],
    );
  }
  return known;
}

export function controlRoutes(ctx: SimContext): Router {
  const router = Router();

  router.get(`${CONTROL_ROOT}/hosts`, (_req, res) => {
    res.json({
      hosts: ctx.fleet.hosts.map((h) => ({
        name: h.name,
        uuid: h.uuid,
        power: h.power,
        boot: h.boot,
        macs: h.nics.map((n) => n.mac),
      })),
    });
  });

  router.get(`${CONTROL_ROOT}/hosts/:name`, (req, res) => {
    const host = hostOr404(ctx, req.params.name, 'host');
    res.json({ ...host.snapshot(), faults: ctx.faults.host(host.name) });
  });

  router.put(`${CONTROL_ROOT}/hosts/:name/faults`, (req, res) => {
    const host = hostOr404(ctx, req.params.name, 'host');
    ctx.faults.setHost(host.name, parseFaults(req.body));
    res.json({ faults: ctx.faults.host(host.name), effective: ctx.faults.forHost(host.name) });
  });

  // What the BMC reports of the hardware (Status.Health), as a failing DIMM or fan would change it.
  router.put(`${CONTROL_ROOT}/hosts/:name/health`, (req, res) => {
    const host = hostOr404(ctx, req.params.name, 'host');
    host.setHealth(parseHealth(req.body));
    res.json({ health: host.health });
  });

  router.put(`${CONTROL_ROOT}/faults`, (req, res) => {
    ctx.faults.setFleet(parseFaults(req.body));
    res.json({ faults: ctx.faults.fleet() });
  });

  // How many logins the Redfish face refused: a client stuck retrying a rotated password shows here.
  router.get(`${CONTROL_ROOT}/auth`, (_req, res) => {
    res.json({ refused_logins: ctx.refusedLogins });
  });

  // Drops every Redfish session, as a BMC reboot does, to exercise re-login.
  router.delete(`${CONTROL_ROOT}/sessions`, (_req, res) => {
    res.json({ expired: ctx.sessions.expireAll() });
  });

  return router;
}
