// A Node gRPC client spreading chat calls over several SpiderGate cores with gRPC's own
// balancing: one channel, the round_robin policy from the service config, any target
// (ipv4:a:p,b:p or dns://server/name:port). What docs/api.md tells a client to do.
//
// Usage: SPIDERGATE_TOKEN=... node tests/node/balance_client.mjs <target>
//   (the token in the environment, never on the command line)
// Then, on stdin, one command a line:
//   run <count> <prefix>   <count> chat calls one after the other, the user message of
//                          call i being "<prefix>-<i>"; prints ONE JSON line:
//                          {"ok": [prefixes served], "failed": [{"prompt", "code"}]}
//   exit                   (or end of input) closes the channel and exits 0.
// The channel lives across commands, so a test can kill a core between two of them.
// A dns://SERVER/name:port target needs GRPC_NODE_USE_ALTERNATIVE_RESOLVER=true: without
// it grpc-js resolves through the system (getaddrinfo) and ignores SERVER.
//
// @grpc/grpc-js 1.14 has no client-side health checking (the healthCheckConfig below is
// ignored by it; C-core clients such as Python's honour it): a core that is down is
// skipped, one that is up but NOT_SERVING is not.

import { createInterface } from "node:readline";

import { authMetadata, credentials, unary, v1 } from "./spidergate.mjs";

const target = process.argv[2];
const token = process.env.SPIDERGATE_TOKEN;
if (!target || !token) {
  process.stderr.write("usage: SPIDERGATE_TOKEN=... node balance_client.mjs <target>\n");
  process.exit(64);
}

const SERVICE_CONFIG = {
  loadBalancingConfig: [{ round_robin: {} }],
  healthCheckConfig: { serviceName: "" },
};

const chat = new v1.ChatService(target, credentials, {
  "grpc.service_config": JSON.stringify(SERVICE_CONFIG),
  // Only the config above: a DNS TXT record must not bring in a retry policy.
  "grpc.service_config_disable_resolution": 1,
});

async function run(count, prefix) {
  const result = { ok: [], failed: [] };
  for (let i = 0; i < count; i++) {
    const prompt = `${prefix}-${i}`;
    const request = { request: { model: "spideriq/fast", messages: [{ role: "user", text: prompt }] } };
    try {
      await unary(chat, "CreateChatCompletion", request, authMetadata(token));
      result.ok.push(prompt);
    } catch (err) {
      if (err.code === undefined) throw err;
      result.failed.push({ prompt, code: err.code });
    }
  }
  return result;
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const [command, count, prefix] = line.trim().split(/\s+/);
  if (command === "exit") break;
  if (command !== "run") throw new Error(`unknown command: ${line}`);
  process.stdout.write(JSON.stringify(await run(Number(count), prefix)) + "\n");
}
lines.close();
chat.close();
process.exit(0);
