// The openai Node SDK's client.responses against the gateway, once per wire format (a task
// alias and the spidergate_options that route it there): a plain answer; a streamed one
// (every event's type and sequence number, the text deltas, usage in response.completed);
// a function-tool round trip, whole and streamed; text.format json_schema;
// previous_response_id across three turns; input_items; retrieve and delete.
// Prints one JSON report: { <format>: { ... } }; it only reports what the SDK returned,
// tests/e2e/test_responses_clients.py judges it. Run with SPIDERGATE_URL, SPIDERIQ_TOKEN
// and ROUTES ({format: {alias, options}}).
import OpenAI from "openai";

const client = new OpenAI({
  baseURL: process.env.SPIDERGATE_URL,
  apiKey: process.env.SPIDERIQ_TOKEN,
  maxRetries: 0,
});
const routes = JSON.parse(process.env.ROUTES);
const tool = {
  type: "function",
  name: "lookup_order",
  description: "Find an order",
  parameters: {
    type: "object",
    properties: { order_id: { type: "string" } },
    required: ["order_id"],
    additionalProperties: false,
  },
  strict: true,
};
const schema = {
  type: "object",
  properties: { city: { type: "string" }, population: { type: "integer" } },
  required: ["city", "population"],
  additionalProperties: false,
};

async function events(request) {
  const seen = [];
  for await (const event of await client.responses.create({ ...request, stream: true })) {
    seen.push(event);
  }
  return seen;
}

async function status(promise) {
  try {
    await promise;
    return 200;
  } catch (err) {
    return err.status;
  }
}

const report = {};
for (const [format, { alias, options }] of Object.entries(routes)) {
  // Every request goes to the alias; unknown body keys pass through the SDK as they are.
  const base = { model: alias, spidergate_options: options };
  const made = await client.responses.create({ ...base, input: "Hello there" });

  const streamed = await events({ ...base, input: "Hello there" });
  const completed = streamed.at(-1).response;

  const first = await client.responses.create({
    ...base,
    input: "Where is order 42?",
    tools: [tool],
    tool_choice: "required",
  });
  const call = first.output.find((item) => item.type === "function_call");
  const after = await client.responses.create({
    ...base,
    previous_response_id: first.id,
    input: [{ type: "function_call_output", call_id: call.call_id, output: '{"status":"shipped"}' }],
    tools: [tool],
  });
  const toolStream = await events({
    ...base,
    input: "Where is order 7?",
    tools: [tool],
    tool_choice: { type: "function", name: "lookup_order" },
  });

  const json = await client.responses.create({
    ...base,
    input: "Largest city of France, as JSON.",
    text: { format: { type: "json_schema", name: "city", schema, strict: true } },
  });

  const turns = [`My name is Ada (${format}).`, "I live in Lyon.", "What do you know about me?"];
  const chain = [];
  let previous = null;
  for (const turn of turns) {
    const resp = await client.responses.create({
      ...base,
      input: turn,
      ...(previous ? { previous_response_id: previous } : {}),
    });
    chain.push({ id: resp.id, previous: resp.previous_response_id, text: resp.output_text });
    previous = resp.id;
  }

  const multi = await client.responses.create({
    ...base,
    input: [
      { role: "developer", content: "Answer in French." },
      { role: "user", content: [{ type: "input_text", text: "Hi" }] },
    ],
  });
  const items = await client.responses.inputItems.list(multi.id, { order: "asc" });
  const page = await client.responses.inputItems.list(multi.id, { limit: 1 });

  const retrieved = await client.responses.retrieve(made.id);
  await client.responses.delete(made.id);

  report[format] = {
    id: made.id,
    model: made.model,
    text: made.output_text,
    usage: made.usage,
    stream: {
      types: streamed.map((e) => e.type),
      sequence: streamed.map((e) => e.sequence_number),
      text: streamed
        .filter((e) => e.type === "response.output_text.delta")
        .map((e) => e.delta)
        .join(""),
      done_text: streamed.find((e) => e.type === "response.output_text.done")?.text,
      completed_text: completed.output_text ?? null,
      completed_output: completed.output,
      usage: completed.usage,
    },
    tool: {
      name: call.name,
      arguments: call.arguments,
      after: after.output_text,
      types: toolStream.map((e) => e.type),
      sequence: toolStream.map((e) => e.sequence_number),
      deltas: toolStream
        .filter((e) => e.type === "response.function_call_arguments.delta")
        .map((e) => e.delta)
        .join(""),
      done: toolStream.find((e) => e.type === "response.function_call_arguments.done")
        ?.arguments,
    },
    json: { text: json.output_text, format: json.text?.format?.type },
    turns,
    chain,
    input_items: {
      roles: items.data.map((i) => i.role),
      ids: items.data.map((i) => i.id),
      page_roles: page.data.map((i) => i.role),
      page_has_more: page.has_more,
    },
    retrieved: retrieved.id,
    retrieved_text: retrieved.output_text,
    after_delete: await status(client.responses.retrieve(made.id)),
    delete_again: await status(client.responses.delete(made.id)),
  };
}
console.log(JSON.stringify(report));
