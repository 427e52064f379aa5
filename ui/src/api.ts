//! The only place the face talks to the shell. The typed function of each command comes from
//! the shell's command table (`bindings/commands.ts`, generated and drift-checked); here every
//! rejection is turned into an ApiError carrying the AppError code, and the long jobs' progress
//! callbacks become channels.

import { Channel, invoke } from "@tauri-apps/api/core";
import { toApiError } from "./lib/errors";
import { type Call, commands } from "./bindings/commands";
import type { ImportProgressEvent } from "./bindings/ImportProgressEvent";
import type { SyncProgressEvent } from "./bindings/SyncProgressEvent";

const call: Call = async <T>(command: string, args?: Record<string, unknown>): Promise<T> => {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toApiError(e, command);
  }
};

const shell = commands(call);

function progressChannel<E>(onProgress: (e: E) => void): Channel<E> {
  const ch = new Channel<E>();
  ch.onmessage = onProgress;
  return ch;
}

export const api = {
  ...shell,
  importFiles: (paths: string[], account: string | null, onProgress: (e: ImportProgressEvent) => void) =>
    shell.importFiles(paths, account, progressChannel(onProgress)),
  importWithProfile: (
    paths: string[],
    name: string,
    account: string | null,
    onProgress: (e: ImportProgressEvent) => void,
  ) => shell.importWithProfile(paths, name, account, progressChannel(onProgress)),
  openDemo: (onProgress: (e: ImportProgressEvent) => void) => shell.openDemo(progressChannel(onProgress)),
  syncNow: (connectionId: number, onProgress: (e: SyncProgressEvent) => void) =>
    shell.syncNow(connectionId, progressChannel(onProgress)),
};
