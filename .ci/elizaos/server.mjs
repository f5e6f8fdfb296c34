// Launcher for a real elizaOS server (@elizaos/server@1.7.2) on loopback, for sessionctl's
// integration tests (tests/suite/elizaos.rs). Install the package first with .ci/elizaos/install.sh.
//
//   node .ci/elizaos/server.mjs
//
// Env:
//   SESSIONCTL_ELIZAOS_DIR   install dir (default ${XDG_CACHE_HOME:-$HOME/.cache}/sessionctl/elizaos-1.7.2)
//   ELIZA_TEST_PORT          port to ask for (default 3000; 0 is not accepted by the server).
//                            The server silently moves to port+1.. if it is taken: the real port
//                            is the one printed on the READY line.
//   ELIZA_DATA_DIR           data dir (PGlite database); required, use a temp dir
//   ELIZA_SERVER_AUTH_TOKEN  optional: when set, every /api route needs `X-API-KEY: <token>`
//
// Prints exactly one line `READY <port> <agentId>` on stdout once the HTTP API answers.
// Server logs go to stdout/stderr too: match on the `READY ` prefix. Exits 1 on start-up failure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

// Hermetic, offline environment. Set before the package is imported (it reads env at load time).
process.env.SENTRY_DSN = 'disabled'; // an empty value would fall back to the built-in elizaOS DSN
process.env.SENTRY_TRACES_SAMPLE_RATE = '0';
process.env.SERVER_HOST ||= '127.0.0.1';
process.env.ELIZA_UI_ENABLE = 'false';
process.env.ELIZA_NO_PLUGIN_AUTO_INSTALL = 'true';
process.env.ELIZA_NO_AUTO_INSTALL = 'true';
process.env.LANGCHAIN_TRACING_V2 = 'false';
process.env.LANGSMITH_TRACING = 'false';
process.env.DOTENV_CONFIG_QUIET = 'true';
process.env.LOG_LEVEL ||= 'warn';
delete process.env.SERVER_PORT;
delete process.env.POSTGRES_URL; // always the embedded PGlite in ELIZA_DATA_DIR
delete process.env.DATABASE_URL;
delete process.env.REMOTE_CHARACTER_URLS;

function fail(msg) {
  process.stderr.write(`server.mjs: ${msg}\n`);
  process.exit(1);
}

const installDir =
  process.env.SESSIONCTL_ELIZAOS_DIR ||
  path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'sessionctl', 'elizaos-1.7.2');
const entry = path.join(installDir, 'node_modules', '@elizaos', 'server', 'dist', 'index.js');
if (!fs.existsSync(entry)) fail(`@elizaos/server not installed in ${installDir} (run .ci/elizaos/install.sh)`);

const dataDir = process.env.ELIZA_DATA_DIR;
if (!dataDir) fail('ELIZA_DATA_DIR must be set (use a temp dir)');
fs.mkdirSync(dataDir, { recursive: true });
// The server loads the first `.env` found walking up from the cwd: keep it out of the repo.
process.chdir(dataDir);

const port = Number(process.env.ELIZA_TEST_PORT || 3000);
if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`bad ELIZA_TEST_PORT ${process.env.ELIZA_TEST_PORT}`);

const { AgentServer } = await import(pathToFileURL(entry).href);
const server = new AgentServer();
try {
  await server.start({
    port,
    dataDir: path.join(dataDir, 'db'),
    agents: [{ character: { name: 'TestAgent', bio: 'test', plugins: [], settings: {} } }],
  });
} catch (e) {
  fail(`start failed: ${e?.stack || e}`);
}

// start() sets SERVER_PORT to the port it really bound (it moves to port+1.. when taken).
const addr = server.server?.address?.();
const realPort = (addr && typeof addr === 'object' && addr.port) || Number(process.env.SERVER_PORT);
const agent = server.getAllAgents()[0];
if (!realPort || !agent) fail(`no port (${realPort}) or agent (${agent?.agentId}) after start`);

// Confirm the API answers before announcing it.
const headers = process.env.ELIZA_SERVER_AUTH_TOKEN ? { 'X-API-KEY': process.env.ELIZA_SERVER_AUTH_TOKEN } : {};
const host = process.env.SERVER_HOST === '0.0.0.0' ? '127.0.0.1' : process.env.SERVER_HOST;
for (let i = 0; ; i++) {
  try {
    const r = await fetch(`http://${host}:${realPort}/api/messaging/sessions/health`, { headers });
    if (r.ok) break;
  } catch {}
  if (i >= 100) fail('API did not answer within 10 s');
  await new Promise((r) => setTimeout(r, 100));
}
process.stdout.write(`READY ${realPort} ${agent.agentId}\n`);
