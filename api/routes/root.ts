import { Router, type Request } from 'express';
import { MAX_VERSION, MIN_VERSION } from '../microversion.js';
import { baseUrl } from '../serializers/links.js';

function versionDoc(req: Request) {
  return {
    id: 'v1',
    links: [{ href: `${baseUrl(req)}/v1/`, rel: 'self' }],
    status: 'CURRENT',
    min_version: MIN_VERSION,
    version: MAX_VERSION,
  };
}

function link(req: Request, name: string) {
  return [
    { href: `${baseUrl(req)}/v1/${name}/`, rel: 'self' },
    { href: `${baseUrl(req)}/${name}/`, rel: 'bookmark' },
  ];
}

/** `GET /`: version discovery; needs no version header and no auth. */
export function rootDocument(req: Request) {
  const v = versionDoc(req);
  return {
    name: 'OpenStack Ironic API',
    description:
      'Anvil provisions bare-metal servers through an OpenStack Ironic compatible API (a subset of Ironic API v1).',
    default_version: v,
    versions: [v],
  };
}

/** `GET /v1/`: the v1 document gophercloud and ironicclient read the version range from. */
export function v1Routes(): Router {
  const router = Router();
  router.get('/', (req, res) => {
    res.json({
      id: 'v1',
      links: [{ href: `${baseUrl(req)}/v1/`, rel: 'self' }],
      media_types: [{ base: 'application/json', type: 'application/vnd.openstack.ironic.v1+json' }],
      nodes: link(req, 'nodes'),
      ports: link(req, 'ports'),
      chassis: link(req, 'chassis'),
      drivers: link(req, 'drivers'),
      // Newer collections are listed from the version that brought them, as Ironic lists them.
      ...(req.apiMinor >= 23 ? { portgroups: link(req, 'portgroups') } : {}),
      ...(req.apiMinor >= 32 ? { volume: link(req, 'volume') } : {}),
      ...(req.apiMinor >= 49 ? { conductors: link(req, 'conductors') } : {}),
      ...(req.apiMinor >= 52 ? { allocations: link(req, 'allocations') } : {}),
      ...(req.apiMinor >= 55 ? { deploy_templates: link(req, 'deploy_templates') } : {}),
      ...(req.apiMinor >= 96 ? { inspection_rules: link(req, 'inspection_rules') } : {}),
      version: versionDoc(req),
    });
  });
  return router;
}
