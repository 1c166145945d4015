/**
 * A device's answer to a command on {p}devices/{id}/cmd (docs/protocol.md
 * §5.5): `status`, `cancel` and `rollback`, each answered with a reply that
 * names the model serving after the command, and why not when it failed.
 */
import { PROTOCOL_VERSION, parseMessage, type ModelRef, type Reply } from '../fleet/messages';

export interface CommandHandlers {
  model(): ModelRef | null;
  previous(): ModelRef | null;
  /** Cancels the unfinished transfer (`deployId`, or whichever); why not otherwise. */
  cancel(deployId: string | undefined): Promise<string | undefined>;
  /** Rolls back to the other slot; why not otherwise. */
  rollback(): Promise<string | undefined>;
}

/** The reply to a command, or undefined for a payload that is not one (it is logged and dropped). */
export async function answerCommand(
  payload: Uint8Array,
  h: CommandHandlers,
  log: (line: string) => void,
): Promise<Reply | undefined> {
  let cmd;
  try {
    cmd = parseMessage('command', payload);
  } catch (err) {
    log(`ignored invalid command: ${(err as Error).message}`);
    return undefined;
  }
  const error =
    cmd.cmd === 'cancel'
      ? await h.cancel(cmd.deployId)
      : cmd.cmd === 'rollback'
        ? await h.rollback()
        : undefined;
  return {
    v: PROTOCOL_VERSION,
    requestId: cmd.requestId,
    cmd: cmd.cmd,
    ok: !error,
    ...(error ? { error } : {}),
    model: h.model(),
    previous: h.previous(),
    ts: Date.now(),
  };
}
