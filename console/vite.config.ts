/**
 * The console's bundle: served by the API at /console (api/app.ts), so every asset URL starts with /console/.
 * No inline script is emitted (the API's Content-Security-Policy allows scripts from 'self' only).
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Small assets stay files rather than data: URLs, so that nothing depends on the CSP's data: allowance.
    assetsInlineLimit: 0,
    sourcemap: true,
  },
});
