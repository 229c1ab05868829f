// Fetch VS Code's widget manager bundle (see host.mjs) into node_modules/.vscode-widgets.
//
// Only the package's self-contained dist/ipywidgets.js is needed, so it is fetched as a
// tarball with `npm pack`, pinned by version and checksum in package.json
// ("vscodeWidgetManager"), rather than installed with the hundreds of megabytes of JupyterLab
// packages it declares as dependencies. Run by the Makefile after `npm ci`.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';

const { spec, integrity } = JSON.parse(readFileSync('package.json', 'utf8')).vscodeWidgetManager;
const destination = 'node_modules/.vscode-widgets';
rmSync(destination, { recursive: true, force: true });
mkdirSync(destination, { recursive: true });
const [packed] = JSON.parse(
  execFileSync('npm', ['pack', spec, '--pack-destination', destination, '--json'], {
    encoding: 'utf8',
  }),
);
if (packed.integrity !== integrity) {
  throw new Error(`${spec} has integrity ${packed.integrity}, expected ${integrity}`);
}
execFileSync('tar', ['-xzf', `${destination}/${packed.filename}`, '-C', destination]);
console.log(`${spec}: ${destination}/package/dist/ipywidgets.js`);
