import { Router } from 'express';
import { DriverNotFound, InvalidParameterValue } from '../../services/errors.js';
import { findHardwareType, HARDWARE_TYPES, logicalDiskProperties } from '../../services/drivers/index.js';
import type { ApiContext } from '../context.js';
import { requireMinor } from '../microversion.js';
import { serializeDriver } from '../serializers/driver.js';
import { parseBoolean, queryString } from '../validation.js';

export function driverRoutes(ctx: ApiContext): Router {
  const router = Router();
  const hostsOf = async () => {
    const live = await ctx.placement.members();
    return (name: string) => (ctx.intake.supports(name) ? live : []);
  };

  router.get('/', async (req, res) => {
    const type = queryString(req.query.type);
    if (type !== undefined && type !== 'classic' && type !== 'dynamic') {
      throw new InvalidParameterValue(`Invalid driver type "${type}": expected classic or dynamic.`);
    }
    // Only hardware types ("dynamic" drivers) exist here, as in Ironic since Rocky.
    const detail = (parseBoolean(req.query.detail, 'detail') ?? false) && req.apiMinor >= 30;
    const types = type === 'classic' ? [] : HARDWARE_TYPES;
    const hosts = await hostsOf();
    res.json({ drivers: types.map((t) => serializeDriver(t, hosts(t.name), req, req.apiMinor, detail)) });
  });

  router.get('/:name', async (req, res) => {
    const type = findHardwareType(req.params.name);
    if (!type) throw new DriverNotFound(req.params.name);
    res.json(serializeDriver(type, (await hostsOf())(type.name), req, req.apiMinor, req.apiMinor >= 30));
  });

  router.get('/:name/properties', (req, res) => {
    const type = findHardwareType(req.params.name);
    if (!type) throw new DriverNotFound(req.params.name);
    res.json(type.properties);
  });

  router.get('/:name/raid/logical_disk_properties', (req, res) => {
    requireMinor(req, 12, 'RAID logical disk properties');
    const type = findHardwareType(req.params.name);
    if (!type) throw new DriverNotFound(req.params.name);
    // Every RAID interface here (no-raid included, as in Ironic) reads the same logical disk schema.
    res.json(logicalDiskProperties());
  });

  return router;
}
