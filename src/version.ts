/** The package's name and version, read from package.json at run time. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// Compiled to dist/src/version.js: the package root is two levels up.
const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  name: string;
  version: string;
};

export const PACKAGE_NAME: string = pkg.name;
export const PACKAGE_VERSION: string = pkg.version;
