/**
 * `npm run render:svg -- <timeline.svg> [out.png]`: renders a timeline.svg in headless Chromium and writes a PNG
 * screenshot beside it, to check the chart reads on its own in a browser. Needs Chromium (Debian: `apt-get install
 * chromium`); set CHROMIUM to its path when it is not `chromium` on PATH.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

/** Finds the Chromium binary: $CHROMIUM, else the usual Debian and Ubuntu names on PATH. */
export const findChromium = (env: NodeJS.ProcessEnv = process.env): string | undefined => {
  if (env.CHROMIUM) return existsSync(env.CHROMIUM) ? env.CHROMIUM : undefined;
  const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
  }
  return undefined;
};

/** The SVG's own size, so the screenshot shows the whole chart and nothing else. */
export const svgSize = (svg: string): { width: number; height: number } => {
  const width = Number(/<svg[^>]*\swidth="(\d+)"/.exec(svg)?.[1] ?? 1000);
  const height = Number(/<svg[^>]*\sheight="(\d+)"/.exec(svg)?.[1] ?? 600);
  return { width, height };
};

/** Renders `svgFile` to `pngFile` in headless Chromium; returns the PNG path. */
export const renderSvg = (svgFile: string, pngFile: string, chromium: string): string => {
  const { width, height } = svgSize(readFileSync(svgFile, 'utf8'));
  const result = spawnSync(
    chromium,
    [
      '--headless',
      '--no-sandbox', // root in a container has no user namespace for the sandbox
      '--disable-gpu',
      '--hide-scrollbars',
      `--window-size=${width},${height}`,
      `--screenshot=${path.resolve(pngFile)}`,
      pathToFileURL(path.resolve(svgFile)).href,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (result.status !== 0 || !existsSync(pngFile)) {
    throw new Error(
      `chromium failed (exit ${result.status}): ${(result.stderr || result.stdout || '').trim().slice(-500)}`,
    );
  }
  return pngFile;
};

const main = () => {
  const [svgFile, out] = process.argv.slice(2);
  if (!svgFile || svgFile === '--help' || svgFile === '-h') {
    process.stdout.write('Usage: npm run render:svg -- <timeline.svg> [out.png]\n');
    process.exit(svgFile ? 0 : 2);
  }
  const chromium = findChromium();
  if (!chromium) {
    process.stderr.write(
      'render-svg: Chromium not found. Install it (Debian: apt-get install chromium) or set CHROMIUM.\n',
    );
    process.exit(3);
  }
  const png = out ?? `${svgFile.replace(/\.svg$/, '')}.png`;
  renderSvg(svgFile, png, chromium);
  process.stdout.write(`${png}\n`);
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
