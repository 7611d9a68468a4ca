// Side-effect CSS imports are bundled by esbuild (public/assets/app.css).
declare module '*.css';
