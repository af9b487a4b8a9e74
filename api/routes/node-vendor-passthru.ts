import { Router, type Request, type Response } from 'express';
import { DriverNotFound, InvalidParameterValue } from '../../services/errors.js';
import { findHardwareType } from '../../services/drivers/index.js';
import { vendorMethodsOf } from '../../services/hardware/index.js';
import type { ApiContext } from '../context.js';
import { queryString } from '../validation.js';

/** The HTTP methods a vendor passthru call may come with; the method's metadata says which it takes. */
const CALL_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** `?method=` names the vendor method, as in Ironic; without it there is nothing to call. */
function methodOf(req: Request): string {
  const method = queryString(req.query.method);
  if (method === undefined || method === '') throw new InvalidParameterValue('Method not specified');
  return method;
}

/** The call's arguments: the JSON body, an object; none is an empty one. */
function argsOf(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidParameterValue('The vendor passthru arguments must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

/**
 * Ironic's node vendor passthru: `/v1/nodes/{id}/vendor_passthru?method=...`
 * carried out by the conductor that owns the node (the BMC event
 * subscriptions of the redfish vendor interface), and the methods the node's
 * vendor interface offers.
 */
export function nodeVendorPassthruRoutes(ctx: ApiContext): Router {
  const router = Router({ mergeParams: true });
  const node = (req: Request) => ctx.nodes.get(String((req.params as Record<string, string>).ident));

  router.get('/vendor_passthru/methods', async (req, res) => {
    res.json(vendorMethodsOf(await node(req)));
  });

  const call = async (req: Request, res: Response): Promise<void> => {
    const method = methodOf(req);
    const result = await ctx.hardware.vendorPassthru(await node(req), method, req.method, argsOf(req));
    // Every method offered is synchronous: 200 with what it returned, null included, as Ironic answers.
    res.status(200).json(result);
  };
  for (const verb of CALL_METHODS) router[verb]('/vendor_passthru', call);

  return router;
}

/**
 * Driver-level vendor passthru (`/v1/drivers/{name}/vendor_passthru`): no
 * vendor interface here has driver methods (Ironic's redfish one has none
 * either), so the list is empty and every call has no handler.
 */
export function driverVendorPassthruRoutes(): Router {
  const router = Router({ mergeParams: true });
  const driver = (req: Request): void => {
    const name = String((req.params as Record<string, string>).name);
    if (!findHardwareType(name)) throw new DriverNotFound(name);
  };

  router.get('/vendor_passthru/methods', (req, res) => {
    driver(req);
    res.json({});
  });
  const call = (req: Request): void => {
    driver(req);
    throw new InvalidParameterValue(`No handler for method ${methodOf(req)}`);
  };
  for (const verb of CALL_METHODS) router[verb]('/vendor_passthru', call);

  return router;
}
