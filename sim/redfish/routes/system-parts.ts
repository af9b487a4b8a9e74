import { Router } from 'express';
import type { SimHost } from '../../host/index.js';
import { collection, hostOr404, ROOT, sendResource, systemUri, type SimContext } from '../context.js';
import { RedfishFault } from '../errors.js';

// The read-only parts of a system that inspection walks: NICs and CPUs
// (Storage, which clients also write, is routes/storage.ts).

function nicBody(host: SimHost, nic: SimHost['nics'][number]): object {
  return {
    '@odata.type': '#EthernetInterface.v1_12_0.EthernetInterface',
    '@odata.id': `${systemUri(host)}/EthernetInterfaces/${nic.id}`,
    Id: nic.id,
    Name: `Ethernet interface ${nic.id}`,
    MACAddress: nic.mac,
    PermanentMACAddress: nic.mac,
    LinkStatus: nic.link === 'up' ? 'LinkUp' : 'LinkDown',
    SpeedMbps: nic.speedMbps,
    InterfaceEnabled: true,
    Status: { State: 'Enabled', Health: 'OK' },
  };
}

function processorBody(host: SimHost, index: number): object {
  const cpu = host.cpu;
  return {
    '@odata.type': '#Processor.v1_20_0.Processor',
    '@odata.id': `${systemUri(host)}/Processors/CPU${index}`,
    Id: `CPU${index}`,
    Name: `Processor ${index}`,
    Socket: `CPU ${index}`,
    ProcessorType: 'CPU',
    ProcessorArchitecture: cpu.arch === 'aarch64' ? 'ARM' : 'x86',
    InstructionSet: cpu.arch === 'aarch64' ? 'ARM-A64' : 'x86-64',
    Manufacturer: 'Anvil Sim',
    Model: cpu.model,
    MaxSpeedMHz: cpu.maxSpeedMHz,
    TotalCores: cpu.coresPerSocket,
    TotalThreads: cpu.coresPerSocket * cpu.threadsPerCore,
    Status: { State: 'Enabled', Health: 'OK' },
  };
}

function notFound(what: string): RedfishFault {
  return new RedfishFault(404, 'ResourceNotFound', `The requested ${what} was not found.`);
}

export function systemPartRoutes(ctx: SimContext): Router {
  const router = Router();
  const base = `${ROOT}/Systems/:id`;

  router.get(`${base}/EthernetInterfaces`, (req, res) => {
    const host = hostOr404(ctx, req.params.id, 'system');
    const uri = `${systemUri(host)}/EthernetInterfaces`;
    sendResource(
      res,
      collection(
        uri,
        'Ethernet Interface Collection',
        'EthernetInterfaceCollection',
        host.nics.map((n) => `${uri}/${n.id}`),
      ),
    );
  });
  router.get(`${base}/EthernetInterfaces/:nic`, (req, res) => {
    const host = hostOr404(ctx, req.params.id, 'system');
    const nic = host.nics.find((n) => n.id === req.params.nic);
    if (!nic) throw notFound('ethernet interface');
    sendResource(res, nicBody(host, nic));
  });

  router.get(`${base}/Processors`, (req, res) => {
    const host = hostOr404(ctx, req.params.id, 'system');
    const uri = `${systemUri(host)}/Processors`;
    const members = Array.from({ length: host.cpu.count }, (_, i) => `${uri}/CPU${i + 1}`);
    sendResource(res, collection(uri, 'Processor Collection', 'ProcessorCollection', members));
  });
  router.get(`${base}/Processors/:cpu`, (req, res) => {
    const host = hostOr404(ctx, req.params.id, 'system');
    const match = /^CPU(\d+)$/.exec(req.params.cpu);
    const index = match ? Number(match[1]) : 0;
    if (index < 1 || index > host.cpu.count) throw notFound('processor');
    sendResource(res, processorBody(host, index));
  });

  return router;
}
