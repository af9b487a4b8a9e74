import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type Response } from 'express';
import { sendError } from '../errors.js';

/**
 * Where `npm run build` writes the dashboard: `dist/ui` beside the compiled
 * API (`dist/api/../ui`), or, run from source, `dist/ui` under the checkout.
 */
export function builtUiDir(): string | null {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '../../dist/ui'), path.resolve(here, '../../ui')];
  return candidates.find((dir) => existsSync(path.join(dir, 'app.js'))) ?? null;
}

/**
 * The web dashboard at `/ui/`: static files anyone may fetch (the login page
 * is one of them; they hold no data), which then call the API with the
 * user's credentials like any other client. A policy of `'self'` only: the
 * page loads and calls nothing from elsewhere.
 */
export function uiRoutes(dir: string | null): Router {
  const router = Router({ strict: true });

  const send = (res: Response, asset: string) => {
    // Checked per request: `npm run build` may write the folder while Anvil runs.
    if (dir === null || !existsSync(path.join(dir, 'index.html'))) {
      sendError(
        res,
        503,
        `The web dashboard is not built${dir === null ? '' : ` in ${dir}`}: run \`npm run build\`, or set ANVIL_UI_DIR to its folder.`,
      );
      return;
    }
    res.set({
      'Cache-Control': 'no-cache',
      'Content-Security-Policy':
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    });
    res.sendFile(asset, { root: dir, dotfiles: 'deny' }, (err?: Error) => {
      if (err && !res.headersSent) sendError(res, 404, `The dashboard has no file ${asset}.`);
    });
  };

  router.get('/ui', (_req, res) => {
    res.redirect(301, '/ui/');
  });
  router.get('/ui/', (_req, res) => {
    send(res, 'index.html');
  });
  router.get('/ui/*asset', (req, res) => {
    const asset = req.params.asset.join('/');
    send(res, asset);
  });
  return router;
}
