//! The chains and the one in view: the one picked while it exists, else the first. A failed
//! list shows once until dismissed.

import { useState } from "react";
import type { ChainView } from "../bindings/ChainView";
import { toApiError } from "../lib/errors";
import { useChains } from "../queries";

export function useChainInView() {
  const chainsQuery = useChains();
  const [errorDismissed, setErrorDismissed] = useState<unknown>(null);
  const [pickedChainId, setChainId] = useState<number | null>(null);

  const chains: ChainView[] | null = chainsQuery.data ?? (chainsQuery.error ? [] : null);
  const error = chainsQuery.error && chainsQuery.error !== errorDismissed ? toApiError(chainsQuery.error) : null;
  const chainId =
    pickedChainId !== null && chains?.some((c) => c.id === pickedChainId) ? pickedChainId : (chains?.[0]?.id ?? null);
  const chain = chains?.find((c) => c.id === chainId) ?? null;

  return {
    chains,
    chainId,
    chain,
    setChainId,
    error,
    dismissError: () => setErrorDismissed(chainsQuery.error),
  };
}
