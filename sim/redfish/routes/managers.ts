import { Router } from 'express';
import { SimHostError, type SimHost } from '../../host/index.js';
import {
  bodyObject,
  collection,
  hostOr404,
  link,
  managerUri,
  ROOT,
  sendResource,
  systemUri,
  type SimContext,
} from '../context.js';
import { RedfishFault } from '../errors.js';

// One BMC (Manager) per simulated machine, with one CD/DVD virtual media
// device. sushy only looks for virtual media under Managers, so that is
// where it lives (sushy-tools does the same).

const MEDIA_ID = 'Cd';
const IMAGE_SCHEMES = ['http:', 'https:'];

function mediaBody(host: SimHost): object {
  const uri = `${managerUri(host)}/VirtualMedia/${MEDIA_ID}`;
  const media = host.media;
  return {
    '@odata.type': '#VirtualMedia.v1_6_2.VirtualMedia',
    '@odata.id': uri,
    Id: MEDIA_ID,
    Name: 'Virtual CD/DVD',
    MediaTypes: ['CD', 'DVD'],
    Image: media.image,
    ImageName: media.image === null ? null : (media.image.split('/').pop() ?? null),
    Inserted: media.inserted,
    WriteProtected: media.writeProtected,
    ConnectedVia: media.image === null ? 'NotConnected' : 'URI',
    TransferProtocolType: media.image === null ? null : media.image.startsWith('https:') ? 'HTTPS' : 'HTTP',
    Actions: {
      '#VirtualMedia.InsertMedia': {
        target: `${uri}/Actions/VirtualMedia.InsertMedia`,
        'TransferProtocolType@Redfish.AllowableValues': ['HTTP', 'HTTPS'],
      },
      '#VirtualMedia.EjectMedia': { target: `${uri}/Actions/VirtualMedia.EjectMedia` },
    },
  };
}

function managerBody(host: SimHost): object {
  const uri = managerUri(host);
  return {
    '@odata.type': '#Manager.v1_19_0.Manager',
    '@odata.id': uri,
    Id: host.name,
    Name: `BMC of ${host.name}`,
    ManagerType: 'BMC',
    Model: 'Anvil simulated BMC',
    FirmwareVersion: host.firmware.find((f) => f.id === 'BMC')?.version ?? null,
    PowerState: 'On',
    Status: { State: 'Enabled', Health: 'OK' },
    VirtualMedia: link(`${uri}/VirtualMedia`),
    Links: { ManagerForServers: [link(systemUri(host))] },
  };
}

function parseInsert(body: Record<string, unknown>): { image: string; inserted: boolean; writeProtected: boolean } {
  const known = [
    'Image',
    'Inserted',
    'WriteProtected',
    'TransferProtocolType',
    'TransferMethod',
    'UserName',
    'Password',
  ];
  for (const key of Object.keys(body)) {
    if (!known.includes(key)) {
      throw new RedfishFault(400, 'ActionParameterUnknown', `The parameter ${key} is not known to InsertMedia.`, [
        `#/${key}`,
      ]);
    }
  }
  const image = body.Image;
  if (image === undefined) {
    throw new RedfishFault(400, 'ActionParameterMissing', 'The action InsertMedia requires the parameter Image.', [
      '#/Image',
    ]);
  }
  let url: URL | null;
  try {
    url = typeof image === 'string' ? new URL(image) : null;
  } catch {
    url = null;
  }
  if (url === null || !IMAGE_SCHEMES.includes(url.protocol)) {
    throw new RedfishFault(
      400,
      'ActionParameterValueFormatError',
      'The parameter Image must be an http or https URL.',
      ['#/Image'],
    );
  }
  const flag = (key: 'Inserted' | 'WriteProtected'): boolean => {
    const value = body[key];
    if (value === undefined) return true;
    if (typeof value !== 'boolean') {
      throw new RedfishFault(400, 'ActionParameterValueFormatError', `The parameter ${key} must be a boolean.`, [
        `#/${key}`,
      ]);
    }
    return value;
  };
  const protocol = body.TransferProtocolType;
  if (protocol !== undefined && protocol !== 'HTTP' && protocol !== 'HTTPS') {
    throw new RedfishFault(400, 'ActionParameterValueNotInList', 'TransferProtocolType must be HTTP or HTTPS.', [
      '#/TransferProtocolType',
    ]);
  }
  return { image: url.toString(), inserted: flag('Inserted'), writeProtected: flag('WriteProtected') };
}

export function managerRoutes(ctx: SimContext): Router {
  const router = Router();
  const base = `${ROOT}/Managers`;

  router.get(base, (_req, res) => {
    sendResource(res, collection(base, 'Manager Collection', 'ManagerCollection', ctx.fleet.hosts.map(managerUri)));
  });
  router.get(`${base}/:id`, (req, res) => {
    sendResource(res, managerBody(hostOr404(ctx, req.params.id, 'manager')));
  });
  router.get(`${base}/:id/VirtualMedia`, (req, res) => {
    const host = hostOr404(ctx, req.params.id, 'manager');
    const uri = `${managerUri(host)}/VirtualMedia`;
    sendResource(res, collection(uri, 'Virtual Media Collection', 'VirtualMediaCollection', [`${uri}/${MEDIA_ID}`]));
  });

  const media = (id: string | string[] | undefined, mediaId: string): SimHost => {
    const host = hostOr404(ctx, id, 'manager');
    if (mediaId !== MEDIA_ID)
      throw new RedfishFault(404, 'ResourceNotFound', 'The requested virtual media was not found.');
    return host;
  };

  router.get(`${base}/:id/VirtualMedia/:media`, (req, res) => {
    sendResource(res, mediaBody(media(req.params.id, req.params.media)));
  });
  router.post(`${base}/:id/VirtualMedia/:media/Actions/VirtualMedia.InsertMedia`, (req, res) => {
    const host = media(req.params.id, req.params.media);
    const insert = parseInsert(bodyObject(req));
    try {
      host.insertMedia(insert.image, { inserted: insert.inserted, writeProtected: insert.writeProtected });
    } catch (err) {
      if (err instanceof SimHostError) throw new RedfishFault(409, 'ResourceInUse', `${err.message}; eject it first.`);
      throw err;
    }
    res.status(204).end();
  });
  router.post(`${base}/:id/VirtualMedia/:media/Actions/VirtualMedia.EjectMedia`, (req, res) => {
    const host = media(req.params.id, req.params.media);
    bodyObject(req);
    host.ejectMedia();
    res.status(204).end();
  });

  return router;
}
