// Vite's additions to the browser's types: import.meta.glob, CSS imports.
/// <reference types="vite/client" />
