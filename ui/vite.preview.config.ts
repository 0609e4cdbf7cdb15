import { defineConfig } from "vite";

// The dashboard's template preview (`src/preview.ts`): one script and one
// style sheet with fixed names, which `trygg-server` embeds and serves in
// a frame beside its template editor.
export default defineConfig({
  clearScreen: false,
  build: {
    target: "es2021",
    outDir: "dist-preview",
    emptyOutDir: true,
    rollupOptions: {
      input: "src/preview.ts",
      output: { entryFileNames: "preview.js", assetFileNames: "preview[extname]" },
    },
  },
});
