//! The import as the window runs it: from the dialog, the demo, or files dropped anywhere on
//! the window (only .csv and .json), one at a time, with progress, cancel and the outcome; the
//! chain an import creates comes into view. Files go into the account typed on the Ledgers
//! screen (blank: the default) where their source names none, so two sources that would both
//! land in default/credits can live side by side.

import { useCallback, useEffect, useRef, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import type { ChainView } from "../bindings/ChainView";
import type { ImportOutcomeView } from "../bindings/ImportOutcomeView";
import type { ImportProgressEvent } from "../bindings/ImportProgressEvent";
import { api } from "../api";
import { ApiError, inTauri, toApiError } from "../lib/errors";
import { pickImportFiles } from "../lib/dialogs";
import { type ImportSource, keys, useImport } from "../queries";

export interface ImportState {
  running: boolean;
  progress: ImportProgressEvent | null;
  outcome: ImportOutcomeView | null;
  error: ApiError | null;
}

/** `onStart` runs as an import starts; `onCreated` gets the chain it created, if any. */
export function useImportFlow(onStart: () => void, onCreated: (chainId: number) => void) {
  const qc = useQueryClient();
  const job = useImport();
  const [dropError, setDropError] = useState<ApiError | null>(null);
  const [dragging, setDragging] = useState(false);
  const [account, setAccount] = useState("");
  // Whether drops reach the handler yet (it is attached asynchronously after the first render).
  const [dropReady, setDropReady] = useState(false);

  const imp: ImportState = {
    running: job.running,
    progress: job.progress,
    outcome: job.outcome,
    error: dropError ?? job.error,
  };
  const { start, reset } = job;
  const dismiss = () => {
    reset();
    setDropError(null);
  };

  const runImport = useCallback(
    async (source: ImportSource) => {
      onStart();
      setDropError(null);
      const before = new Set((qc.getQueryData<ChainView[]>(keys.chains) ?? []).map((c) => c.id));
      try {
        await start("paths" in source && account.trim() ? { ...source, account } : source);
      } catch {
        // Shown from the job's error.
      }
      // The job has invalidated and refetched the chains: show the chain it created.
      const created = qc.getQueryData<ChainView[]>(keys.chains)?.find((c) => !before.has(c.id));
      if (created) onCreated(created.id);
    },
    [qc, start, onStart, onCreated, account],
  );

  const importViaDialog = useCallback(
    async (e2ePath: string) => {
      const paths = await pickImportFiles(e2ePath);
      if (paths && paths.length) await runImport({ paths });
    },
    [runImport],
  );

  const cancel = useCallback(async () => {
    try {
      await api.cancelImport();
    } catch (e) {
      setDropError(toApiError(e));
    }
  }, []);

  // Files dropped anywhere on the window are imported. The listener is set up once and reads
  // the latest import function and running state through refs.
  const runImportRef = useRef(runImport);
  const runningRef = useRef(false);
  useEffect(() => {
    runImportRef.current = runImport;
    runningRef.current = job.running;
  });
  useEffect(() => {
    if (!inTauri()) return;
    let unlisten: (() => void) | null = null;
    let gone = false;
    getCurrentWebview()
      .onDragDropEvent((ev) => {
        const p = ev.payload;
        if (p.type === "enter" || p.type === "over") setDragging(true);
        else if (p.type === "leave") setDragging(false);
        else if (p.type === "drop") {
          setDragging(false);
          const paths = p.paths.filter((x) => /\.(csv|json)$/i.test(x));
          if (paths.length && !runningRef.current) void runImportRef.current({ paths });
          else if (p.paths.length && !paths.length)
            setDropError(
              new ApiError("bad_input", `Only .csv and .json ledger exports can be imported:\n${p.paths.join("\n")}`),
            );
        }
      })
      .then((u) => {
        if (gone) u();
        else {
          unlisten = u;
          setDropReady(true);
        }
      })
      .catch(() => {});
    return () => {
      gone = true;
      unlisten?.();
    };
  }, []);

  return { imp, dragging, dropReady, runImport, importViaDialog, cancel, dismiss, account, setAccount };
}
