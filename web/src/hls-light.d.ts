// hls.js ships no types for its light build; it is the same API as the full one.
declare module 'hls.js/light' {
  import Hls from 'hls.js';
  export * from 'hls.js';
  export default Hls;
}
