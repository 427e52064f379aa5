//! Scheduled syncs seen from the window: after each one the shell emits `scheduled-sync` and
//! every screen's data goes stale; a notification the user clicks (`open-finding`), or the
//! window coming back into focus while one waits, opens its finding on the Findings screen.

import { useCallback, useEffect, useRef, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { listen } from "@tauri-apps/api/event";
import { api } from "../api";
import type { NotifiedFinding } from "../bindings/NotifiedFinding";
import { invalidatedBy, keys } from "../queries";

/** A finding to open, numbered so that opening the same one twice still counts. */
export interface OpenRequest {
  seq: number;
  finding: NotifiedFinding;
}

/** `onOpen` runs with the finding a notification asks to open. */
export function useWatch(onOpen: (finding: NotifiedFinding) => void) {
  const qc = useQueryClient();
  const latest = useRef(onOpen);
  useEffect(() => {
    latest.current = onOpen;
  });

  useEffect(() => {
    let gone = false;
    const take = () => {
      api
        .takeOpenFinding()
        .then((f) => {
          if (f && !gone) latest.current(f);
        })
        .catch(() => {});
    };
    const refresh = () => {
      for (const key of [...invalidatedBy.sync(), keys.connections]) void qc.invalidateQueries({ queryKey: key });
    };
    // Outside Tauri (unit tests) there is nothing to listen to.
    const unlisten = [listen("scheduled-sync", refresh), listen("open-finding", take)].map((p) => p.catch(() => null));
    window.addEventListener("focus", take);
    // The shell may have kept one from before the window loaded.
    take();
    return () => {
      gone = true;
      window.removeEventListener("focus", take);
      for (const u of unlisten) void u.then((f) => f?.());
    };
  }, [qc]);
}

/** The open request in force, and how to make one. */
export function useOpenRequest() {
  const [request, setRequest] = useState<OpenRequest | null>(null);
  const seq = useRef(0);
  const open = useCallback((finding: NotifiedFinding) => setRequest({ seq: ++seq.current, finding }), []);
  return { request, open };
}
