import { Router, type Request } from 'express';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import { requireEndpointMinor } from '../microversion.js';
import { resourceLinks } from '../serializers/links.js';
import { apiBoolean, parseBoolean, parseInput } from '../validation.js';

const bootDeviceSchema = z.object({ boot_device: z.string().min(1), persistent: apiBoolean.optional() }).strict();
/** Ironic's inject_nmi takes an empty object. */
const emptyBody = z.object({}).strict();
const vmediaSchema = z
  .object({
    device_type: z.literal('cdrom', { error: 'Only the cdrom device type is supported.' }),
    image_url: z.url({ protocol: /^https?$/, error: 'image_url must be an http(s) URL.' }),
    image_download_source: z.enum(['http', 'local', 'swift']).optional(),
  })
  .strict();

/**
 * Per-node hardware endpoints, each one call made by the conductor that owns
 * the node: boot device (management), BIOS, firmware, virtual media; and the
 * stored inventory, read from the database.
 */
export function nodeHardwareRoutes(ctx: ApiContext): Router {
  const router = Router({ mergeParams: true });
  const node = (req: Request) => ctx.nodes.get(String((req.params as Record<string, string>).ident));

  router.get('/management/boot_device', async (req, res) => {
    res.json(await ctx.hardware.getBootDevice(await node(req)));
  });

  router.put('/management/boot_device', async (req, res) => {
    const body = parseInput(bootDeviceSchema, req.body, 'boot device request');
    await ctx.hardware.setBootDevice(await node(req), body.boot_device, body.persistent ?? false);
    res.status(204).end();
  });

  router.get('/management/boot_device/supported', async (req, res) => {
    res.json({ supported_boot_devices: await ctx.hardware.supportedBootDevices(await node(req)) });
  });

  router.put('/management/inject_nmi', async (req, res) => {
    requireEndpointMinor(req, 29);
    parseInput(emptyBody, req.body ?? {}, 'inject NMI request');
    await ctx.hardware.injectNmi(await node(req));
    res.status(204).end();
  });

  router.get('/bios', async (req, res) => {
    requireEndpointMinor(req, 40);
    const n = await node(req);
    const detail = parseBoolean(req.query.detail, 'detail') ?? false;
    const settings = Object.entries(await ctx.hardware.bios(n)).map(([name, value]) => {
      const entry: Record<string, unknown> = { name, value: value === null ? null : String(value) };
      if (detail) Object.assign(entry, { attribute_type: attributeType(value), read_only: false });
      entry.links = resourceLinks(req, 'nodes', n.uuid, `/bios/${name}`);
      return entry;
    });
    res.json({ bios: settings });
  });

  router.get('/firmware', async (req, res) => {
    requireEndpointMinor(req, 86);
    const components = await ctx.hardware.firmware(await node(req));
    res.json({
      firmware: components.map((c) => ({
        component: c.name ?? c.id,
        initial_version: c.version,
        current_version: c.version,
        last_version_flashed: null,
        created_at: null,
        updated_at: null,
      })),
    });
  });

  router.post('/vmedia', async (req, res) => {
    requireEndpointMinor(req, 89);
    const body = parseInput(vmediaSchema, req.body, 'virtual media request');
    await ctx.hardware.attachVirtualMedia(await node(req), body.image_url);
    res.status(204).end();
  });

  router.delete('/vmedia', async (req, res) => {
    requireEndpointMinor(req, 89);
    await ctx.hardware.detachVirtualMedia(await node(req));
    res.status(204).end();
  });

  router.get('/inventory', async (req, res) => {
    requireEndpointMinor(req, 81);
    const n = await node(req);
    res.json(await ctx.inventory.get(n.id, n.uuid));
  });

  return router;
}

/** Redfish's AttributeType for a value read from the BMC. */
function attributeType(value: unknown): 'Integer' | 'Boolean' | 'String' {
  if (typeof value === 'number') return 'Integer';
  if (typeof value === 'boolean') return 'Boolean';
  return 'String';
}
