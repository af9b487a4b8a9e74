import { Router, type Request } from 'express';
import { z } from 'zod';
import { AnvilError, BiosSettingNotFound, InvalidParameterValue } from '../../services/errors.js';
import type { ApiContext } from '../context.js';
import { requireEndpointMinor } from '../microversion.js';
import {
  BIOS_DEFAULT_FIELDS,
  BIOS_DETAIL_FIELDS,
  BIOS_REGISTRY_MINOR,
  serializeBiosSetting,
  type BiosField,
} from '../serializers/bios.js';
import { apiBoolean, asText, parseBoolean, parseInput, queryList } from '../validation.js';

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
 * the node: boot device (management), firmware, virtual media; and what is
 * read from the database: the BIOS settings cache and the stored inventory.
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

  // Ironic's cache, as the conductor last read it from the BMC: a busy node or a silent BMC still answers.
  router.get('/bios', async (req, res) => {
    requireEndpointMinor(req, 40);
    const n = await node(req);
    const fields = biosFields(req);
    // Ironic links each setting under the node as the request named it.
    const ident = String((req.params as Record<string, string>).ident);
    res.json({ bios: (await ctx.bios.list(n)).map((s) => serializeBiosSetting(req, ident, s, fields)) });
  });

  // One setting, keyed by its name, with the registry's fields from 1.74 (Ironic's get_one).
  router.get('/bios/:name', async (req, res) => {
    requireEndpointMinor(req, 40);
    const n = await node(req);
    const name = String(req.params.name);
    const setting = await ctx.bios.get(n, name);
    if (setting === null) throw new BiosSettingNotFound(n.uuid, name);
    const fields = req.apiMinor < BIOS_REGISTRY_MINOR ? BIOS_DEFAULT_FIELDS : BIOS_DETAIL_FIELDS;
    res.json({ [name]: serializeBiosSetting(req, n.uuid, setting, fields) });
  });

  // Ironic serves its cache; Anvil refreshes it from the BMC first, keeping each component's history. While the
  // node is busy (its lock held by a step) or its BMC does not answer, the cache is served as it stands.
  router.get('/firmware', async (req, res) => {
    requireEndpointMinor(req, 86);
    const n = await node(req);
    const components = await ctx.hardware.firmware(n).then(
      (reported) => ctx.firmware.record(n, reported),
      async (err: unknown) => {
        const unreadable = err instanceof AnvilError && (err.kind === 'conflict' || err.kind === 'temporary');
        const cached = unreadable ? await ctx.firmware.list(n) : [];
        if (cached.length === 0) throw err;
        return cached;
      },
    );
    res.json({
      firmware: components.map((c) => ({
        component: c.component,
        initial_version: c.initial_version,
        current_version: c.current_version,
        last_version_flashed: c.last_version_flashed,
        created_at: c.created_at,
        updated_at: c.updated_at,
      })),
    });
  });

  // Ironic answers the devices themselves, a bare list, synchronously.
  router.get('/vmedia', async (req, res) => {
    requireEndpointMinor(req, 93);
    res.json(await ctx.hardware.getVirtualMedia(await node(req)));
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

/**
 * What Ironic's `fields` takes: the setting's fields, and those every
 * setting carries anyway (created_at, updated_at, links). It lists
 * node_uuid too, which its settings never show, so asking for it adds
 * nothing.
 */
const BIOS_QUERY_FIELDS: readonly string[] = [...BIOS_DETAIL_FIELDS, 'created_at', 'updated_at', 'links', 'node_uuid'];

/** The fields of each BIOS setting a request asks for, refused as Ironic's get_request_return_fields does. */
function biosFields(req: Request): readonly BiosField[] {
  const detail = parseBoolean(req.query.detail, 'detail');
  const asked = req.query.fields === undefined ? undefined : queryList(req.query.fields);
  if (req.apiMinor < BIOS_REGISTRY_MINOR) {
    if (detail !== undefined)
      throw new InvalidParameterValue(`Invalid query parameter ?detail=${asText(req.query.detail)} received.`);
    if (asked !== undefined)
      throw new InvalidParameterValue(`Invalid query parameter ?fields=${asText(req.query.fields)} received.`);
  }
  if (asked !== undefined && detail)
    throw new InvalidParameterValue('Can not specify ?detail=True and fields in the same request.');
  if (detail) return BIOS_DETAIL_FIELDS;
  if (asked === undefined) return BIOS_DEFAULT_FIELDS;
  const unknown = asked.filter((f) => !BIOS_QUERY_FIELDS.includes(f));
  if (unknown.length > 0) throw new InvalidParameterValue(`Field(s) "${unknown.join(', ')}" are not valid`);
  return BIOS_DETAIL_FIELDS.filter((f) => asked.includes(f));
}
