import { useState } from 'preact/hooks';
import { performBulk, type BulkOutcome, type DeployImage, type NodeAction } from '../actions.js';
import type { NodeRow } from '../fleet.js';
import type { Session } from '../session.js';
import { Dialog } from './dialog.js';

const plural = (n: number) => `${n} ${n === 1 ? 'host' : 'hosts'}`;

/**
 * The confirmation of an action on one host or many: what will happen to how
 * many hosts, which of them their state leaves out, and (for a deploy) the
 * image to write. Nothing is sent before Confirm.
 */
export function ActionDialog({
  action,
  nodes,
  session,
  onDone,
  onCancel,
}: {
  action: NodeAction;
  nodes: readonly NodeRow[];
  session: Session;
  onDone: (outcome: BulkOutcome) => void;
  onCancel: () => void;
}) {
  const [image, setImage] = useState<DeployImage>({ url: '', checksum: '' });
  const [busy, setBusy] = useState(false);
  const eligible = nodes.filter((n) => action.allowed(n)).length;
  const left = nodes.length - eligible;
  const needsImage = action.id === 'deploy';
  const imageProblem = !needsImage
    ? null
    : !/^(https?|file):\/\//.test(image.url.trim())
      ? 'The image URL must start with http://, https:// or file://.'
      : image.checksum.trim() === ''
        ? 'Give the image checksum (sha256 hex, or a URL to a checksum file).'
        : null;

  const confirm = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    const outcome = await performBulk(
      session.client,
      action,
      nodes,
      needsImage ? { url: image.url.trim(), checksum: image.checksum.trim() } : null,
      session.name,
    );
    onDone(outcome);
  };

  return (
    <Dialog title={`${action.verb} ${plural(eligible)}`} onClose={onCancel}>
      <form method="dialog" onSubmit={(e) => void confirm(e)}>
        <p>
          Anvil will {action.effect}.
          {left > 0 &&
            ` ${plural(left)} of the selection cannot be asked in the state they are in and will be left alone.`}
        </p>
        {needsImage && (
          <>
            <label>
              Image URL
              <input
                id="deploy-image-url"
                type="url"
                required
                value={image.url}
                onInput={(e) => setImage({ ...image, url: e.currentTarget.value })}
              />
            </label>
            <label>
              Image checksum
              <input
                id="deploy-image-checksum"
                required
                value={image.checksum}
                onInput={(e) => setImage({ ...image, checksum: e.currentTarget.value })}
              />
            </label>
            {image.url !== '' && imageProblem !== null && <p class="hint">{imageProblem}</p>}
          </>
        )}
        <div class="buttons">
          <button type="button" class="quiet" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
          <button
            type="submit"
            class={action.id === 'undeploy' || action.id === 'power-off' ? 'danger' : ''}
            disabled={busy || eligible === 0 || imageProblem !== null}
          >
            {busy ? 'Working…' : 'Confirm'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** What a finished action did: counts, and each failure with the API's reason. */
export function ActionOutcome({ label, outcome }: { label: string; outcome: BulkOutcome }) {
  return (
    <div class={outcome.failed.length > 0 ? 'outcome error' : 'outcome'} role="status" data-testid="bulk-result">
      {label}: {outcome.done} accepted
      {outcome.failed.length > 0 && `, ${outcome.failed.length} refused`}
      {outcome.skipped > 0 && `, ${outcome.skipped} left alone (state)`}.
      {outcome.failed.length > 0 && (
        <ul>
          {outcome.failed.slice(0, 10).map((f) => (
            <li>
              {f.node.name ?? f.node.uuid}: {f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
