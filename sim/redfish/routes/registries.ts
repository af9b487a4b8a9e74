import { Router } from 'express';
import type { BiosAttributeDefinition } from '../../host/index.js';
import { REGISTRY_PREFIX, REGISTRY_VERSION } from '../bios-registries.js';
import { collection, ROOT, sendResource, type SimContext } from '../context.js';
import { RedfishFault } from '../errors.js';

// The Registries collection holds the BIOS attribute registries the fleet's
// hosts publish, one MessageRegistryFile each, with the registry itself at
// the file's Location, as BMCs serve them. A client finds a host's registry
// by the name its Bios resource gives in AttributeRegistry (sushy matches it
// against the file's Id or Registry).

function registryOr404(ctx: SimContext, id: string | string[] | undefined): readonly BiosAttributeDefinition[] {
  const registry = typeof id === 'string' ? ctx.biosRegistries.get(id) : undefined;
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
    Registry: REGISTRY_PREFIX,
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
    RegistryVersion: `${REGISTRY_VERSION.major}.${REGISTRY_VERSION.minor}.${REGISTRY_VERSION.errata}`,
    RegistryEntries: { Attributes: registry.map(attributeEntry) },
  };
}

export function registryRoutes(ctx: SimContext): Router {
  const router = Router();
  const base = `${ROOT}/Registries`;

  router.get(base, (_req, res) => {
    const ids = ctx.biosRegistries.ids();
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
