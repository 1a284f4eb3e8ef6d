// Copies the files tsc does not emit (the console page's HTML, script and stylesheet) into dist/.
const { cpSync } = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
for (const dir of ['libs/console/src/public']) {
  cpSync(path.join(root, dir), path.join(root, 'dist', dir), { recursive: true });
}
