import { defineConfig } from "vitest/config";

// Tauri serves the built files; WebKitGTK 2.40+ runs ES2021.
export default defineConfig({
  clearScreen: false,
  build: { target: "es2021", outDir: "dist", emptyOutDir: true },
  server: { port: 5173, strictPort: true },
  test: { environment: "happy-dom", globals: true },
});
