import { createHash } from 'node:crypto';
import { Router } from 'express';
import { SIM_BIOS_REGISTRY, type BiosAttributeDefinition, type SimHost } from '../../host/index.js';
import { collection, ROOT, sendResource, type SimContext } from '../context.js';
import { RedfishFault } from '../errors.js';

// The Registries collection holds the BIOS attribute registries the fleet's
// hosts publish, one MessageRegistryFile each, with the registry itself at
// the file's Location, as BMCs serve them. A client finds a host's registry
// by the name its Bios resource gives in AttributeRegistry (sushy matches it
// against the file's Id or Registry).

const NAME = 'AnvilSimBiosAttributeRegistry';
const VERSION = { major: 1, minor: 0, errata: 0 };
const DEFAULT_SIGNATURE = JSON.stringify(SIM_BIOS_REGISTRY);

/**
 * The name of the registry a host publishes, or null for one without. Hosts
 * describing their attributes alike share one registry; the fleet's default
 * has the plain name, any other a name of its own.
 */
export function biosRegistryId(host: SimHost): string | null {
  const registry = host.biosRegistry;
  return registry === null ? null : registryIdOf(registry);
}

function registryIdOf(registry: readonly BiosAttributeDefinition[]): string {
  const signature = JSON.stringify(registry);
  const suffix =
    signature === DEFAULT_SIGNATURE
      ? ''
      : createHash('sha256').update(signature).digest('hex').slice(0, 8).toUpperCase();
  return `${NAME}${suffix}.v${VERSION.major}_${VERSION.minor}_${VERSION.errata}`;
}

/** Every distinct registry of the fleet by its name, in host order. */
function registries(ctx: SimContext): Map<string, BiosAttributeDefinition[]> {
  const found = new Map<string, BiosAttributeDefinition[]>();
  for (const host of ctx.fleet.hosts) {
    const registry = host.biosRegistry;
    if (registry === null) continue;
    const id = registryIdOf(registry);
    if (!found.has(id)) found.set(id, registry);
  }
  return found;
}

function registryOr404(ctx: SimContext, id: string | string[] | undefined): BiosAttributeDefinition[] {
  const registry = typeof id === 'string' ? registries(ctx).get(id) : undefined;
  if (!registry) throw new RedfishFault(404, 'ResourceNotFound', 'The requested registry was not found.');
  return registry;
}

const fileUri = (id: string) => `${ROOT}/Registries/${encodeURIComponent(id)}`;
const registryUri = (id: string) => `${fileUri(id)}/AttributeRegistry`;

function fileBody(id: string): object {
  return {
    '@odata.type': '#MessageRegistryFile.v1_1_3.MessageRegistryFile',
    '@odata.id': fileUri(id),
    Id: id,
    Name: 'BIOS Attribute Registry File',
    Description: 'The BIOS attribute registry of the simulated hosts.',
    Languages: ['en'],
    Registry: `${NAME}.${VERSION.major}.${VERSION.minor}`,
    Location: [{ Language: 'en', Uri: registryUri(id) }],
  };
}

function attributeEntry(d: BiosAttributeDefinition): object {
  return {
    AttributeName: d.name,
    DisplayName: d.displayName,
    Type: d.type,
    ReadOnly: d.readOnly,
    ResetRequired: d.resetRequired,
    Immutable: d.readOnly,
    IsSystemUniqueProperty: false,
    ...(d.values === undefined ? {} : { Value: d.values.map((v) => ({ ValueName: v, ValueDisplayName: v })) }),
    ...(d.lowerBound === undefined ? {} : { LowerBound: d.lowerBound }),
    ...(d.upperBound === undefined ? {} : { UpperBound: d.upperBound }),
    ...(d.minLength === undefined ? {} : { MinLength: d.minLength }),
    ...(d.maxLength === undefined ? {} : { MaxLength: d.maxLength }),
  };
}

function registryBody(id: string, registry: readonly BiosAttributeDefinition[]): object {
  return {
    '@odata.type': '#AttributeRegistry.v1_3_6.AttributeRegistry',
    '@odata.id': registryUri(id),
    Id: id,
    Name: 'BIOS Attribute Registry',
    Description: 'The BIOS attributes of the simulated hosts: their types, values and limits.',
    Language: 'en',
    OwningEntity: 'Anvil',
    RegistryVersion: `${VERSION.major}.${VERSION.minor}.${VERSION.errata}`,
    RegistryEntries: { Attributes: registry.map(attributeEntry) },
  };
}

export function registryRoutes(ctx: SimContext): Router {
  const router = Router();
  const base = `${ROOT}/Registries`;

  router.get(base, (_req, res) => {
    const ids = [...registries(ctx).keys()];
    sendResource(res, collection(base, 'Registry File Collection', 'MessageRegistryFileCollection', ids.map(fileUri)));
  });
  router.get(`${base}/:registry`, (req, res) => {
    registryOr404(ctx, req.params.registry);
    sendResource(res, fileBody(req.params.registry));
  });
  router.get(`${base}/:registry/AttributeRegistry`, (req, res) => {
    sendResource(res, registryBody(req.params.registry, registryOr404(ctx, req.params.registry)));
  });

  return router;
}
