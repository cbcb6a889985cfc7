/**
 * Small inline SVG icons (no icon font, no request): one per WAN type, a generic one for
 * types the panel does not know.
 * @module
 */

const paths: Readonly<Record<string, string>> = {
  ethernet: "M5 4h14v10h-3v3h-3v3h-2v-3H8v-3H5zM8 7v4h8V7z",
  repeater: "M12 18.5a1.8 1.8 0 1 1 0 .01zM7.8 14.6a6 6 0 0 1 8.4 0l-1.4 1.4a4 4 0 0 0-5.6 0zM4.9 11.7a10 10 0 0 1 14.2 0l-1.4 1.4a8 8 0 0 0-11.4 0zM2 8.8a14 14 0 0 1 20 0l-1.4 1.4a12 12 0 0 0-17.2 0z",
  tethering: "M8 2h8a2 2 0 0 1 2 2v16a2 2 0 0 1-2 2H8a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm0 3v13h8V5zm3 14.5h2v1h-2z",
  cellular: "M3 20h3v-4H3zm5 0h3v-8H8zm5 0h3V8h-3zm5 0h3V3h-3z",
  other: "M12 2a10 10 0 1 1 0 20 10 10 0 0 1 0-20zm-1 2.1A8 8 0 0 0 4.1 11H8a15 15 0 0 1 3-6.9zm2 0A15 15 0 0 1 16 11h3.9A8 8 0 0 0 13 4.1zM10 11h4a13 13 0 0 0-2-5.6A13 13 0 0 0 10 11zm-5.9 2A8 8 0 0 0 11 19.9 15 15 0 0 1 8 13zm5.9 0a13 13 0 0 0 2 5.6 13 13 0 0 0 2-5.6zm6 0a15 15 0 0 1-3 6.9 8 8 0 0 0 6.9-6.9z",
};

/** TypeIcon draws the icon of a WAN type (`wan.cellular` → cellular); decorative. */
export function TypeIcon(p: { type: string }) {
  const key = p.type.replace(/^wan\./, "");
  return (
    <svg class="type-icon" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">
      <path fill="currentColor" d={paths[key] ?? paths.other} />
    </svg>
  );
}
