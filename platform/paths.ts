/**
 * Where the repository's files are, from the source (`platform/paths.ts`, run by tsx) and from the build
 * (`dist/platform/paths.js`, what the worker and the API run in production: `npm run build`). The build holds only
 * JavaScript; migrations, the workflows' source (bundled at the worker's start) and the tools stay at the root.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The directory of package.json: this file's parent's parent, or one more up from dist/. */
export const projectRoot = existsSync(path.join(here, '..', 'package.json')) ? path.resolve(here, '..') : path.resolve(here, '..', '..');
