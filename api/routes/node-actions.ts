import { Router, type Request, type Response } from 'express';
import type { ProvisionRequest } from '../../services/conductor/index.js';
import { configDriveProblem } from '../../services/deploy/index.js';
import { validateNodeInterfaces } from '../../services/drivers/index.js';
import { InvalidParameterValue, MethodNotAllowed, NotAcceptable, NotFound } from '../../services/errors.js';
import type { Node, TargetPowerState, Verb } from '../../services/nodes/index.js';
import type { ApiContext } from '../context.js';
import { requireMinor } from '../microversion.js';
import { baseUrl } from '../serializers/links.js';
import { serializeNodeStates } from '../serializers/node.js';
import { parseInput } from '../validation.js';
import { maintenanceSchema, powerSchema, provisionSchema, traitsSchema } from './node-schemas.js';

/** API target → state machine verb, with the version that introduced the target (MIN_VERB_VERSIONS). */
const PROVISION_TARGETS: Record<string, { verb: Verb; since: number }> = {
  active: { verb: 'deploy', since: 1 },
  deleted: { verb: 'delete', since: 1 },
  rebuild: { verb: 'rebuild', since: 1 },
  manage: { verb: 'manage', since: 4 },
  provide: { verb: 'provide', since: 4 },
  inspect: { verb: 'inspect', since: 6 },
  abort: { verb: 'abort', since: 13 },
  clean: { verb: 'clean', since: 15 },
  adopt: { verb: 'adopt', since: 17 },
  rescue: { verb: 'rescue', since: 38 },
  unrescue: { verb: 'unrescue', since: 38 },
  deploy: { verb: 'deploy', since: 73 },
  undeploy: { verb: 'delete', since: 73 },
  unhold: { verb: 'unhold', since: 85 },
  service: { verb: 'service', since: 87 },
};

/** Aborting these waits arrived later than abort itself. */
const ABORT_SINCE: Record<string, number> = { 'inspect wait': 41, 'wait call-back': 110 };

const POWER_TARGETS: Record<string, number> = {
  'power on': 1,
  'power off': 1,
  rebooting: 1,
  'soft power off': 27,
  'soft rebooting': 27,
};

export function nodeActionRoutes(ctx: ApiContext): Router {
  const router = Router();

  const accepted = (req: Request, res: Response, uuid: string) =>
    res
      .status(202)
      .location(`${baseUrl(req)}/v1/nodes/${uuid}/states`)
      .end();

  router.get('/:ident/states', async (req, res) => {
    res.json(serializeNodeStates(await ctx.nodes.get(req.params.ident), req.apiMinor));
  });

  router.put('/:ident/states/provision', async (req, res) => {
    const body = parseInput(provisionSchema, req.body, 'provision state request');
    const target = PROVISION_TARGETS[body.target];
    if (!target) {
      throw new InvalidParameterValue(
        `Invalid input for field/attribute target. Value: "${body.target}". Value should be one of: ${Object.keys(PROVISION_TARGETS).join(', ')}`,
      );
    }
    if (req.apiMinor < target.since) {
      throw new NotAcceptable(`The "${body.target}" target requires API version 1.${target.since} or later.`);
    }
    const node = await ctx.nodes.get(req.params.ident);
    const abortSince = ABORT_SINCE[node.provision_state];
    if (target.verb === 'abort' && abortSince !== undefined && req.apiMinor < abortSince) {
      throw new NotAcceptable(
        `Aborting a node in "${node.provision_state}" requires API version 1.${abortSince} or later.`,
      );
    }
    const request: ProvisionRequest = { verb: target.verb, target: body.target };
    const deploying = target.verb === 'deploy' || target.verb === 'rebuild';
    if (deploying) await refuseDeployTemplates(ctx, node);
    if (body.configdrive !== undefined) {
      if (!deploying) {
        throw new InvalidParameterValue(
          'Adding a config drive is only supported when setting provision state to active or rebuild',
        );
      }
      if (typeof body.configdrive !== 'string') requireMinor(req, 56, 'A config drive as a JSON object');
      // One the agent could not write is refused now, not after the machine has booted it.
      const problem = configDriveProblem(body.configdrive);
      if (problem !== null) throw new InvalidParameterValue(problem);
      request.configdrive = body.configdrive;
    }
    if (body.clean_steps !== undefined && target.verb !== 'clean') {
      throw new InvalidParameterValue('"clean_steps" is only valid when setting target provision state to clean');
    }
    if (target.verb === 'clean') {
      if (body.clean_steps === undefined) {
        throw new InvalidParameterValue('"clean_steps" is required when setting target provision state to clean');
      }
      request.cleanSteps = body.clean_steps;
      if (body.disable_ramdisk !== undefined) request.disableRamdisk = body.disable_ramdisk;
    }
    if (body.deploy_steps !== undefined) {
      requireMinor(req, 69, 'deploy_steps');
      if (!deploying) throw new InvalidParameterValue('"deploy_steps" is only valid when deploying or rebuilding');
      request.deploySteps = body.deploy_steps;
    }
    if (body.disable_ramdisk !== undefined) checkDisableRamdisk(req, target.verb);
    if (target.verb === 'service') {
      if (body.service_steps === undefined) {
        throw new InvalidParameterValue('"service_steps" is required when setting target provision state to service');
      }
      request.serviceSteps = body.service_steps;
      if (body.disable_ramdisk !== undefined) request.disableRamdisk = body.disable_ramdisk;
    } else if (body.service_steps !== undefined) {
      throw new InvalidParameterValue('"service_steps" is only valid when setting target provision state to service');
    }
    if (target.verb === 'rescue') {
      if (!body.rescue_password) {
        throw new InvalidParameterValue(
          "A non-empty 'rescue_password' is required when setting target provision state to rescue",
        );
      }
      request.rescuePassword = body.rescue_password;
    } else if (body.rescue_password !== undefined) {
      throw new InvalidParameterValue('"rescue_password" is only valid when setting target provision state to rescue');
    }
    await ctx.intake.provision(node, request);
    ctx.metrics.provisionRequests.inc({ verb: target.verb });
    accepted(req, res, node.uuid);
  });

  router.put('/:ident/states/power', async (req, res) => {
    const body = parseInput(powerSchema, req.body, 'power state request');
    const since = POWER_TARGETS[body.target];
    if (since === undefined) {
      throw new InvalidParameterValue(
        `Invalid input for field/attribute target. Value: "${body.target}". Value should be one of: ${Object.keys(POWER_TARGETS).join(', ')}`,
      );
    }
    if (req.apiMinor < since)
      throw new NotAcceptable(`The "${body.target}" target requires API version 1.${since} or later.`);
    if (body.timeout !== undefined) {
      requireMinor(req, 27, 'A power state change timeout');
      if (body.timeout < 1)
        throw new InvalidParameterValue(`Invalid timeout value ${body.timeout}: it must be at least 1 second.`);
    }
    const node = await ctx.nodes.get(req.params.ident);
    await ctx.intake.setPower(node, body.target as TargetPowerState, body.timeout ?? null);
    accepted(req, res, node.uuid);
  });

  router.get('/:ident/validate', async (req, res) => {
    res.json(validateNodeInterfaces(await ctx.nodes.get(req.params.ident), { agentImages: ctx.config.agentImages }));
  });

  router.put('/:ident/maintenance', async (req, res) => {
    const body = parseInput(maintenanceSchema, req.body ?? {}, 'maintenance request');
    await ctx.nodes.setMaintenance(req.params.ident, true, body.reason ?? null);
    res.status(202).end();
  });

  router.delete('/:ident/maintenance', async (req, res) => {
    await ctx.nodes.setMaintenance(req.params.ident, false, null);
    res.status(202).end();
  });

  const traits = Router({ mergeParams: true });
  traits.use((req, _res, next) => {
    if (req.apiMinor < 37) throw traitsBefore137(req.method);
    next();
  });
  traits.get('/', async (req, res) => {
    res.json({ traits: (await ctx.nodes.get(identOf(req))).traits });
  });
  traits.put('/', async (req, res) => {
    const body = parseInput(traitsSchema, req.body, 'traits');
    await ctx.nodes.setTraits(identOf(req), body.traits);
    res.status(204).end();
  });
  traits.delete('/', async (req, res) => {
    await ctx.nodes.setTraits(identOf(req), []);
    res.status(204).end();
  });
  traits.put('/:trait', async (req, res) => {
    await ctx.nodes.addTrait(identOf(req), String(req.params.trait));
    res.status(204).end();
  });
  traits.delete('/:trait', async (req, res) => {
    await ctx.nodes.removeTrait(identOf(req), String(req.params.trait));
    res.status(204).end();
  });
  router.use('/:ident/traits', traits);

  return router;
}

/** The verbs that take `disable_ramdisk`, each with the version that brought it (Ironic's check_allow_disable_ramdisk). */
const DISABLE_RAMDISK_SINCE: Partial<Record<Verb, number>> = { clean: 70, service: 108 };

/** 406 below the version that brought `disable_ramdisk` for the verb, 400 for any other verb. */
function checkDisableRamdisk(req: Request, verb: Verb): void {
  const since = DISABLE_RAMDISK_SINCE[verb];
  if (since === undefined) {
    throw new InvalidParameterValue('disable_ramdisk is supported only with manual cleaning or servicing');
  }
  if (req.apiMinor < since) throw new NotAcceptable('disable_ramdisk is not acceptable in this API version');
}

/**
 * Before 1.37 Ironic has no traits endpoint and the path falls to the node
 * itself, and tempest holds servers to what that answers: a GET asks for the
 * node's `traits` field (406), a PUT is no method of a node (405), a DELETE
 * names nothing to delete (404).
 */
function traitsBefore137(method: string): NotAcceptable | MethodNotAllowed | NotFound {
  if (method === 'GET' || method === 'HEAD') return new NotAcceptable('Request not acceptable.');
  if (method === 'PUT') return new MethodNotAllowed('The method PUT is not allowed for this resource.');
  return new NotFound('The resource could not be found.');
}

function identOf(req: Request): string {
  return String((req.params as Record<string, string>).ident);
}

/**
 * Deploy templates are kept but their steps are not run by a deployment yet:
 * a deployment whose instance traits name one is refused, rather than
 * reaching active without the steps it asked for.
 */
async function refuseDeployTemplates(ctx: ApiContext, node: Node): Promise<void> {
  const traits = node.instance_info.traits;
  if (!Array.isArray(traits)) return;
  const names = traits.filter((t): t is string => typeof t === 'string');
  const templates = await ctx.deployTemplates.matching(names);
  if (templates.length === 0) return;
  throw new InvalidParameterValue(
    `The instance traits of node ${node.uuid} name deploy templates (${templates.map((t) => t.name).join(', ')}), ` +
      'whose steps this service does not run in a deployment yet; remove those traits from instance_info to deploy.',
  );
}
