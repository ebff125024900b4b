// The openai Node SDK's client.responses against the gateway, once per wire format:
// a plain answer, a streamed one (the event types), a function-tool round trip, retrieve
// and delete. Prints one JSON report: { <format>: { ... } }. tests/e2e/test_responses_clients.py
// runs it with SPIDERGATE_URL, SPIDERIQ_TOKEN and MODELS ({format: model}).
import OpenAI from "openai";

const client = new OpenAI({
  baseURL: process.env.SPIDERGATE_URL,
  apiKey: process.env.SPIDERIQ_TOKEN,
  maxRetries: 0,
});
const models = JSON.parse(process.env.MODELS);
const tool = {
  type: "function",
  name: "lookup_order",
  description: "Find an order",
  parameters: {
    type: "object",
    properties: { order_id: { type: "string" } },
    required: ["order_id"],
  },
};

const report = {};
for (const [format, model] of Object.entries(models)) {
  const made = await client.responses.create({ model, input: "Hello there" });
  const events = [];
  let streamed = "";
  const stream = await client.responses.create({ model, input: "Hello there", stream: true });
  for await (const event of stream) {
    events.push(event.type);
    if (event.type === "response.output_text.delta") streamed += event.delta;
  }
  const first = await client.responses.create({
    model,
    input: "Where is order 42?",
    tools: [tool],
    tool_choice: "required",
  });
  const call = first.output.find((item) => item.type === "function_call");
  const after = await client.responses.create({
    model,
    previous_response_id: first.id,
    input: [{ type: "function_call_output", call_id: call.call_id, output: '{"status":"shipped"}' }],
    tools: [tool],
  });
  const retrieved = await client.responses.retrieve(made.id);
  await client.responses.delete(made.id);
  let deleted = false;
  try {
    await client.responses.retrieve(made.id);
  } catch (err) {
    deleted = err.status === 404;
  }
  report[format] = {
    id: made.id,
    text: made.output_text,
    streamed,
    events,
    tool: call.name,
    after_tool: after.output_text,
    retrieved: retrieved.id,
    deleted,
  };
}
console.log(JSON.stringify(report));
