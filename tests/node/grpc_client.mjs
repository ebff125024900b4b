// A Node gRPC client of SpiderGate: @grpc/grpc-js + @grpc/proto-loader on the .proto files.
//
// Usage: node tests/node/grpc_client.mjs <target> <token>
//   (or SPIDERGATE_GRPC_TARGET / SPIDERGATE_TOKEN in the environment)
//
// Calls every service once, plus one call that must fail (an unknown model), and prints
// ONE JSON object with the results on stdout. Exits 0 when everything behaved as expected,
// non-zero (with the reason on stderr) on any unexpected failure.

import {
  authMetadata as authFor,
  credentials,
  decodeStatusDetails,
  grpc,
  serverStream,
  unary,
  v1,
} from "./spidergate.mjs";

const target = process.argv[2] || process.env.SPIDERGATE_GRPC_TARGET;
const token = process.argv[3] || process.env.SPIDERGATE_TOKEN;
const PROMPT = process.env.SPIDERGATE_PROMPT || "Count to five.";
const CHAT_MODEL = "spideriq/fast";

if (!target || !token) {
  process.stderr.write(
    "usage: node grpc_client.mjs <target> <token> " +
      "(or SPIDERGATE_GRPC_TARGET and SPIDERGATE_TOKEN)\n",
  );
  process.exit(64);
}

const clients = {
  catalog: new v1.CatalogService(target, credentials),
  auth: new v1.AuthService(target, credentials),
  chat: new v1.ChatService(target, credentials),
  stream: new v1.StreamService(target, credentials),
};

const authMetadata = () => authFor(token);

function chatRequest(model) {
  return {
    request: {
      model,
      messages: [{ role: "user", text: PROMPT }],
    },
  };
}

// ------------------------------------------------------------------------------- main

async function main() {
  const result = { target };

  const health = await unary(clients.catalog, "GetHealth", {});
  result.health = health.status;
  result.version = health.version;

  const models = await unary(clients.catalog, "ListModels", { limit: 3 });
  result.models_count = models.models.length;
  result.models_total = models.total;
  result.model_ids = models.models.map((m) => m.id);

  const model = await unary(clients.catalog, "GetModel", { id: "openai/gpt-4o" });
  result.model_id = model.model.id;
  result.model_provider = model.model.provider;
  result.model_context_window = model.model.context_window; // int64 -> string

  const aliases = await unary(clients.catalog, "ListAliases", {});
  result.aliases_count = aliases.aliases.length;
  result.alias_ids = aliases.aliases.map((a) => a.id);

  const providers = await unary(clients.catalog, "ListProviders", {});
  result.providers_count = providers.providers.length;
  result.provider_ids = providers.providers.map((p) => p.id);

  const who = await unary(clients.auth, "Authenticate", {}, authMetadata());
  result.principal_client_id = who.principal.client_id;
  result.principal_kind = who.principal.kind;
  result.principal_scopes = who.principal.scopes;

  const chat = await unary(clients.chat, "CreateChatCompletion", chatRequest(CHAT_MODEL), authMetadata());
  const completion = chat.completion;
  result.chat_id = completion.id;
  result.chat_object = completion.object;
  result.chat_model = completion.model;
  result.chat_content = completion.choices[0]?.message?.content ?? null;
  result.chat_role = completion.choices[0]?.message?.role ?? null;
  result.chat_finish_reason = completion.choices[0]?.finish_reason ?? null;
  result.chat_total_tokens = completion.usage?.total_tokens ?? null;
  result.chat_provider = completion.spidergate_metadata?.provider ?? null;
  result.chat_requested_model = completion.spidergate_metadata?.requested_model ?? null;
  result.chat_extra_json_is_buffer = Buffer.isBuffer(completion.extra_json);

  const messages = await serverStream(clients.stream, "StreamChatCompletion", chatRequest(CHAT_MODEL), authMetadata());
  const chunks = messages.flatMap((m) => m.chunks);
  result.stream_chunks = chunks.length;
  result.stream_ids = [...new Set(chunks.map((c) => c.id))];
  result.stream_models = [...new Set(chunks.map((c) => c.model))];
  result.stream_first_role = chunks[0]?.choices[0]?.delta?.role ?? null;
  result.stream_finish_reason = chunks.at(-1)?.choices[0]?.finish_reason ?? null;
  result.stream_text = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");

  try {
    await unary(clients.chat, "CreateChatCompletion", chatRequest("no-such-model"), authMetadata());
    throw new Error("the unknown-model call succeeded; it must fail with NOT_FOUND");
  } catch (err) {
    if (err.code === undefined) throw err;
    result.error_code = err.code;
    result.error_code_name = grpc.status[err.code];
    result.error_details = err.details;
    const rich = decodeStatusDetails(err.metadata);
    result.error_status_code = rich?.status_code ?? null;
    result.error_detail = rich?.detail ?? null;
    result.error_info = rich?.info ?? null;
  }

  return result;
}

main()
  .then((result) => {
    for (const c of Object.values(clients)) c.close();
    process.stdout.write(JSON.stringify(result) + "\n");
    process.exit(0);
  })
  .catch((err) => {
    for (const c of Object.values(clients)) c.close();
    const code = err?.code !== undefined ? ` (gRPC ${grpc.status[err.code] ?? err.code}: ${err.details})` : "";
    process.stderr.write(`grpc_client.mjs: unexpected failure${code}: ${err?.stack ?? err}\n`);
    process.exit(1);
  });
