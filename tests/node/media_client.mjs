// A Node gRPC client of SpiderGate's media services: embeddings, images, moderations,
// speech (a server stream), transcription (a client stream) and the media catalogue,
// from the .proto files alone (@grpc/grpc-js + @grpc/proto-loader).
//
// Usage: node tests/node/media_client.mjs <target> <token> <wav file>
//
// Prints ONE JSON object with what came back (the Python test checks it against what the
// REST surface answers for the same input); exits non-zero on any unexpected failure.

import { readFileSync } from "node:fs";
import { basename } from "node:path";

import {
  authMetadata,
  credentials,
  deadline,
  decodeStatusDetails,
  grpc,
  serverStream,
  unary,
  v1,
} from "./spidergate.mjs";

const [target, token, wavPath] = process.argv.slice(2);
if (!target || !token || !wavPath) {
  process.stderr.write("usage: node media_client.mjs <target> <token> <wav file>\n");
  process.exit(64);
}

const clients = {
  embeddings: new v1.EmbeddingsService(target, credentials),
  images: new v1.ImagesService(target, credentials),
  moderations: new v1.ModerationsService(target, credentials),
  audio: new v1.AudioService(target, credentials),
  media: new v1.MediaService(target, credentials),
};
const md = () => authMetadata(token);
const CHUNK = 64 * 1024;

// float32 little-endian bytes, as the proto carries a vector, to numbers.
function floats(bytes) {
  const buf = Buffer.from(bytes);
  const out = [];
  for (let i = 0; i < buf.length; i += 4) out.push(buf.readFloatLE(i));
  return out;
}

// A client stream: the parameters first, then the file in chunks.
function upload(method, params, file) {
  return new Promise((resolveCall, rejectCall) => {
    const call = clients.audio[method](md(), { deadline: deadline() }, (err, reply) =>
      err ? rejectCall(err) : resolveCall(reply),
    );
    call.write({ params });
    for (let i = 0; i < file.length; i += CHUNK) call.write({ chunk: file.subarray(i, i + CHUNK) });
    call.end();
  });
}

async function main() {
  const result = { target };

  const embedded = await unary(
    clients.embeddings,
    "CreateEmbedding",
    { model: "agent/embed", texts: ["alpha", "beta"], encoding_format: "float" },
    md(),
  );
  const vectors = embedded.vectors.map(floats);
  result.embedding_model = embedded.model;
  result.embedding_count = vectors.length;
  result.embedding_dims = vectors.map((v) => v.length);
  result.embedding_first = vectors[0].slice(0, 4);
  result.embedding_prompt_tokens = Number(embedded.usage?.prompt_tokens ?? 0);
  result.embedding_provider = embedded.spidergate_metadata?.provider ?? null;

  const image = await unary(
    clients.images,
    "CreateImage",
    { request: { model: "dall-e-2", prompt: "a lighthouse", n: 1, response_format: "b64_json" } },
    md(),
  );
  const png = Buffer.from(image.data[0].b64_json, "base64");
  result.image_png_signature = png.subarray(0, 8).toString("hex");
  result.image_provider = image.metadata?.provider ?? null;
  result.image_cost_usd = image.metadata?.cost_usd ?? null;

  const moderation = await unary(
    clients.moderations,
    "CreateModeration",
    { request: { input_json: Buffer.from(JSON.stringify(["hello", "I will kill it"])) } },
    md(),
  );
  result.moderation_model = moderation.model;
  result.moderation_flagged = moderation.results.map((r) => r.flagged);

  const text = "Streamed from Node.";
  const speech = await serverStream(
    clients.audio,
    "CreateSpeech",
    { model: "tts-1", input: text, voice: "alloy", response_format: "wav" },
    md(),
  );
  const audio = Buffer.concat(speech.map((m) => Buffer.from(m.audio)));
  result.speech_messages = speech.length;
  result.speech_content_type = speech[0]?.content_type ?? null;
  result.speech_riff = audio.subarray(0, 4).toString("latin1");
  result.speech_wave = audio.subarray(8, 12).toString("latin1");
  result.speech_bytes = audio.length;

  const wav = readFileSync(wavPath);
  const params = {
    model: "whisper-1",
    filename: basename(wavPath),
    content_type: "audio/wav",
    response_format: "verbose_json",
  };
  const heard = await upload("CreateTranscription", params, wav);
  const transcript = JSON.parse(Buffer.from(heard.transcript.body).toString("utf8"));
  result.transcript_text = transcript.text;
  result.transcript_duration = transcript.duration;
  result.transcript_content_type = heard.transcript.content_type;

  const listed = await unary(clients.media, "ListMediaModels", { modality: "tts" }, md());
  result.media_tts_ids = listed.models.map((m) => m.id);

  try {
    await unary(clients.images, "CreateImage", { request: { model: "no-such-model", prompt: "x" } }, md());
    throw new Error("the unknown-model image call succeeded; it must fail with NOT_FOUND");
  } catch (err) {
    if (err.code === undefined) throw err;
    result.error_code_name = grpc.status[err.code];
    result.error_detail_code = decodeStatusDetails(err.metadata)?.detail?.code ?? null;
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
    process.stderr.write(`media_client.mjs: unexpected failure${code}: ${err?.stack ?? err}\n`);
    process.exit(1);
  });
