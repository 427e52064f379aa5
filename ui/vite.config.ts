/// <reference types="vitest/config" />
// The face of Reckon. Tauri loads `ui/dist` in release builds and http://localhost:5173 in dev.
// JSX is compiled by esbuild's automatic runtime (no @vitejs/plugin-react: it did not install
// cleanly against vite 7 here, and fast refresh is a nicety we can live without).
import { defineConfig } from "vite";

export default defineConfig({
  esbuild: { jsx: "automatic" },
  clearScreen: false,
  server: { port: 5173, strictPort: true, host: "localhost" },
  // Tauri's webviews: WebView2 (Chromium) on Windows, WebKit on macOS/Linux.
  build: { outDir: "dist", target: ["es2021", "chrome105", "safari15"], sourcemap: false, emptyOutDir: true },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
