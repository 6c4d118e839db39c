// How much of Node's own fs API citadel/fs covers, measured against the running Node; the figures
// in src/services/vfs/README.md must match, and nothing citadel/fs exports under a Node name may
// be missing from Node (no invented behaviour under Node's names).
import assert from 'node:assert/strict';
import * as nodeFs from 'node:fs';
import * as nodePromises from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import * as citadelFs from '../../../src/entity/fs.ts';
import * as citadelFsNode from '../../../src/entity/fs-node.ts';
import { PROJECT_ROOT } from '../../helpers/solution.ts';

const functions = (m: object) => Object.keys(m).filter((k) => k !== 'default' && typeof (m as Record<string, unknown>)[k] === 'function').sort();

/** Node's API surface: fs/promises functions, fs callback functions, fs *Sync functions. */
function coverage() {
  const promises = functions(nodePromises);
  const callbacks = functions(nodeFs).filter((k) => /^[a-z]/.test(k) && !k.endsWith('Sync'));
  const sync = functions(nodeFs).filter((k) => k.endsWith('Sync'));
  return {
    promises: { node: promises, covered: promises.filter((k) => Object.hasOwn(citadelFs, k)) },
    callbacks: { node: callbacks, covered: callbacks.filter((k) => Object.hasOwn(citadelFsNode, k)) },
    sync: { node: sync, covered: sync.filter((k) => Object.hasOwn(citadelFsNode, k)) },
  };
}

test('the API coverage figures in the VFS README are the ones measured on this Node', () => {
  const c = coverage();
  const readme = readFileSync(path.join(PROJECT_ROOT, 'src/services/vfs/README.md'), 'utf8');
  const claims = [
    `${c.promises.covered.length} of the ${c.promises.node.length} functions of \`node:fs/promises\``,
    `${c.callbacks.covered.length} of the ${c.callbacks.node.length} callback functions of \`node:fs\``,
    `${c.sync.covered.length} of its ${c.sync.node.length} \`*Sync\` functions`,
  ];
  for (const claim of claims) assert.ok(readme.includes(claim), `README should say "${claim}" (measured on Node ${process.version}); missing from Node's: ${c.promises.node.filter((k) => !c.promises.covered.includes(k)).join(', ')}`);
  assert.ok(readme.includes(`Node ${process.versions.node.split('.')[0]}`));
});

test('every Node name citadel/fs exports is a Node fs function of the same kind', () => {
  const extras = new Set(['configureVfs', 'exists', 'createReadStream', 'createWriteStream', 'resolvePath', 'handleOf', 'FileData', 'FileHandle', 'BigIntStats', 'Dir', 'Dirent', 'ReadStream', 'Stats', 'WriteStream', 'constants']);
  for (const name of Object.keys(citadelFs)) {
    if (name === 'default' || extras.has(name)) continue;
    assert.equal(typeof (nodePromises as Record<string, unknown>)[name], 'function', `citadel/fs exports ${name}, which node:fs/promises does not have`);
  }
  for (const name of Object.keys(citadelFsNode)) {
    if (name === 'default') continue;
    assert.ok(Object.hasOwn(nodeFs, name), `the node:fs stand-in exports ${name}, which node:fs does not have`);
  }
  // The default exports carry the same functions as the named ones.
  for (const [name, fn] of Object.entries(citadelFs.default)) assert.equal(fn, (citadelFs as Record<string, unknown>)[name], name);
  for (const [name, fn] of Object.entries(citadelFsNode.default)) assert.equal(fn, (citadelFsNode as Record<string, unknown>)[name], name);
});
