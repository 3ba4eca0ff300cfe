import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

// The app is served by herald at `/`; `npm run dev` proxies the API to a running herald.
export default defineConfig({
  plugins: [vue()],
  base: '/',
  build: {
    outDir: 'dist', assetsDir: 'assets', sourcemap: false, target: 'es2020', chunkSizeWarningLimit: 400,
    // The app, and the mini-program runtime (served on the content origin, in a sandboxed frame).
    rollupOptions: { input: { main: 'index.html', mp: 'mp.html' } },
  },
  server: { proxy: { '/herald': 'http://127.0.0.1:8080', '/pay': 'http://127.0.0.1:8080' } },
});
