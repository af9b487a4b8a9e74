import { Router } from 'express';
import { SimHostError, type SimHost, type SimHostErrorCode } from '../../host/index.js';
import { bodyObject, hostOr404, link, ROOT, sendResource, systemUri, type SimContext } from '../context.js';
import { RedfishFault, type BaseMessage } from '../errors.js';
import { checkIfMatch, etagOf } from '../etag.js';

// BIOS attributes follow the Redfish settings pattern: the Bios resource shows
// what runs now, its SettingsObject (Bios/Settings) takes PATCHes that wait
// for the next reset or power-on.

const APPLY_TIMES = ['OnReset'];

/** How the firmware's refusal of a change reads in the Base registry. */
const REFUSAL_MESSAGE: Partial<Record<SimHostErrorCode, BaseMessage>> = {
  UnknownAttribute: 'PropertyUnknown',
  InvalidAttributeValue: 'PropertyValueTypeError',
  ReadOnlyAttribute: 'PropertyNotWritable',
  AttributeValueNotInList: 'PropertyValueNotInList',
  AttributeValueOutOfRange: 'PropertyValueOutOfRange',
};

function settingsBody(host: SimHost): object {
  return {
    '@odata.type': '#Bios.v1_2_1.Bios',
    '@odata.id': `${systemUri(host)}/Bios/Settings`,
    Id: 'Settings',
    Name: 'Pending BIOS settings',
    Attributes: host.pendingBios,
  };
}

function biosBody(ctx: SimContext, host: SimHost): object {
  const applied = host.biosAppliedAt;
  const registry = ctx.biosRegistries.idOf(host);
  return {
    '@odata.type': '#Bios.v1_2_1.Bios',
    '@odata.id': `${systemUri(host)}/Bios`,
    Id: 'BIOS',
    Name: 'BIOS Configuration Current Settings',
    ...(registry === null ? {} : { AttributeRegistry: registry }),
    Attributes: host.bios,
    '@Redfish.Settings': {
      '@odata.type': '#Settings.v1_3_5.Settings',
      SettingsObject: link(`${systemUri(host)}/Bios/Settings`),
      ETag: etagOf(settingsBody(host)),
      SupportedApplyTimes: APPLY_TIMES,
      ...(applied === null ? {} : { Time: new Date(applied).toISOString() }),
    },
  };
}

function parseSettingsPatch(body: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(body)) {
    if (key !== 'Attributes' && key !== '@Redfish.SettingsApplyTime') {
      throw new RedfishFault(400, 'PropertyUnknown', `The property ${key} is not known to this resource.`, [
        `#/${key}`,
      ]);
    }
  }
  const applyTime = body['@Redfish.SettingsApplyTime'];
  if (applyTime !== undefined) {
    const when =
      typeof applyTime === 'object' && applyTime !== null
        ? (applyTime as Record<string, unknown>).ApplyTime
        : undefined;
    if (typeof when !== 'string' || !APPLY_TIMES.includes(when)) {
      throw new RedfishFault(400, 'PropertyValueNotInList', 'Only OnReset is supported as ApplyTime.', [
        '#/@Redfish.SettingsApplyTime/ApplyTime',
      ]);
    }
  }
  const attributes = body.Attributes;
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) {
    throw new RedfishFault(400, 'PropertyValueTypeError', 'The property Attributes must be an object.', [
      '#/Attributes',
    ]);
  }
  return attributes as Record<string, unknown>;
}

export function biosRoutes(ctx: SimContext): Router {
  const router = Router();
  const base = `${ROOT}/Systems/:id/Bios`;

  router.get(base, (req, res) => {
    sendResource(res, biosBody(ctx, hostOr404(ctx, req.params.id, 'system')));
  });
  router.get(`${base}/Settings`, (req, res) => {
    sendResource(res, settingsBody(hostOr404(ctx, req.params.id, 'system')));
  });
  router.patch(`${base}/Settings`, (req, res) => {
    const host = hostOr404(ctx, req.params.id, 'system');
    checkIfMatch(req.get('If-Match'), etagOf(settingsBody(host)));
    const attributes = parseSettingsPatch(bodyObject(req));
    try {
      host.setPendingBios(attributes);
    } catch (err) {
      const id = err instanceof SimHostError ? REFUSAL_MESSAGE[err.code] : undefined;
      if (err instanceof SimHostError && id !== undefined) {
        throw new RedfishFault(400, id, err.message, [`#/Attributes/${err.property ?? ''}`]);
      }
      throw err;
    }
    sendResource(res, settingsBody(host));
  });

  return router;
}
