// Bridge for serverless.yml: `${file(./scripts/serverless-wiring.cjs):<key>}`. osls loads variable files with
// require(), so this CommonJS file loads the TypeScript wiring through tsx. A bad plan fails the packaging here,
// with the path of the bad field.
const path = require('node:path');

let cached;
module.exports = async ({ options, resolveVariable }) => {
  if (!cached) {
    const { tsImport } = require('tsx/esm/api');
    const { buildWiring } = await tsImport('./wiring.ts', __filename);
    const region = options.region || (await resolveVariable('self:provider.region'));
    const stage = options.stage || (await resolveVariable('self:provider.stage'));
    cached = buildWiring(path.join(__dirname, '..', 'plans'), region, stage);
  }
  return cached;
};
