// Must stay first: repairs navigator.language before uPlot reads it (see lib/locale.ts).
import "./lib/locale";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { QueryClientProvider } from "@tanstack/react-query";
import "uplot/dist/uPlot.min.css";
import "./styles.css";
import { App } from "./App";
import { createQueryClient } from "./queries";

const queryClient = createQueryClient();

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
